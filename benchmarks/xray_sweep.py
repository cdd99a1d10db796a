"""Recipe sweep for the X-ray triage net on PneumoniaMNIST (GPU or CPU).

Each recipe trains three seeds on the official training split and is scored on
validation and test: every member alone and the three as an ensemble (flip
TTA). Decisions use the Youden threshold of validation and, for comparison,
logit 0 (the balanced-prior decision of a class-balanced net). The shipped
recipe must train on a 2-core CPU in 30 minutes; this sweep exists to look
for a better one where a GPU is at hand (it depends on torch, numpy and
scikit-learn only, so it runs on a bare GPU machine next to a copy of the
data file).

Selection caveat: validation AUC is saturated (0.997–0.999 for every recipe),
so validation cannot rank recipes; whatever is read off this sweep's test
columns has been seen on the test split. BENCHMARKS.md says so.

Run::

    python benchmarks/xray_sweep.py --data pneumoniamnist.npz \\
        --recipes all --seeds 1,2,3 --parallel 8 --out results.json
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score, roc_curve
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class Recipe:
    """One point of the sweep (names follow ``XrayNetParams`` where shared)."""

    width: int = 24
    epochs: int = 30
    stages: int = 3
    residual: bool = False
    upsample: int = 1
    strength: float = 1.0
    balance: bool = False
    lr: float = 3e-3
    mixup: float = 0.0
    smoothing: float = 0.0
    image_norm: bool = False


RECIPES = {
    "base_w24_e30": Recipe(),
    "w32_e60": Recipe(width=32, epochs=60),
    "w48_e60": Recipe(width=48, epochs=60),
    "w64_e100": Recipe(width=64, epochs=100),
    "up2_w24_e30": Recipe(upsample=2),
    "up2_w32_e60": Recipe(width=32, epochs=60, upsample=2),
    "res4_w32_e60": Recipe(width=32, epochs=60, stages=4, residual=True),
    "up2_res4_w32_e60": Recipe(
        width=32, epochs=60, stages=4, residual=True, upsample=2
    ),
    "mixup_w32_e60": Recipe(width=32, epochs=60, mixup=0.4),
    "ls_w32_e60": Recipe(width=32, epochs=60, smoothing=0.1),
    "noaug_w32_e60": Recipe(width=32, epochs=60, strength=0.0),
    "aug15_w32_e60": Recipe(width=32, epochs=60, strength=1.5),
    "lr1e3_w32_e60": Recipe(width=32, epochs=60, lr=1e-3),
    "bal_w32_e60": Recipe(width=32, epochs=60, balance=True),
    "bal_aug15_w24_e30": Recipe(strength=1.5, balance=True),
    "bal_aug15_w32_e60": Recipe(width=32, epochs=60, strength=1.5, balance=True),
    "bal_aug2_w32_e60": Recipe(width=32, epochs=60, strength=2.0, balance=True),
    "bal_aug15_lr1e3_w32_e60": Recipe(
        width=32, epochs=60, strength=1.5, balance=True, lr=1e-3
    ),
    "bal_aug15_res4_w32_e60": Recipe(
        width=32, epochs=60, strength=1.5, balance=True, stages=4, residual=True
    ),
    "bal_aug15_res4_up2_w32_e60": Recipe(
        width=32,
        epochs=60,
        strength=1.5,
        balance=True,
        stages=4,
        residual=True,
        upsample=2,
    ),
    "imgnorm_w32_e60": Recipe(width=32, epochs=60, image_norm=True),
    "imgnorm_bal_aug15_w24_e30": Recipe(strength=1.5, balance=True, image_norm=True),
    "imgnorm_bal_aug15_w32_e60": Recipe(
        width=32, epochs=60, strength=1.5, balance=True, image_norm=True
    ),
}


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class _Residual(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.body = _block(c_in, c_out)
        self.skip: nn.Module = (
            nn.Conv2d(c_in, c_out, 1, bias=False) if c_in != c_out else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x) + self.skip(x)
        return out


class _Net(nn.Module):
    def __init__(self, r: Recipe) -> None:
        super().__init__()
        chans = [r.width * 2**i for i in range(r.stages)]
        make = _Residual if r.residual else _block
        self.stages = nn.ModuleList(
            make(1 if i == 0 else chans[i - 1], c) for i, c in enumerate(chans)
        )
        self.head = nn.Linear(chans[-1], 1)
        self.drop = nn.Dropout(0.2)
        self.recipe = r

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.recipe.image_norm:
            mean = x.mean((1, 2, 3), keepdim=True)
            x = (x - mean) / (x.std((1, 2, 3), keepdim=True) + 1e-3)
        else:
            x = (x - 0.5) / 0.25
        if self.recipe.upsample > 1:
            x = F.interpolate(x, scale_factor=self.recipe.upsample, mode="bilinear")
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i < len(self.stages) - 1:
                x = F.max_pool2d(x, 2)
        out: torch.Tensor = self.head(self.drop(F.adaptive_avg_pool2d(x, 1).flatten(1)))
        return out


def _augment(x: torch.Tensor, gen: torch.Generator, k: float) -> torch.Tensor:
    """``kiwerk.domains.health.augment`` on any device."""
    n = x.shape[0]

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=gen, device=x.device)

    angle = (rand(n) - 0.5) * (2 * math.pi / 18) * k
    scale = 1.0 + (rand(n) - 0.5) * 0.16 * k
    shift = (rand(n, 2) - 0.5) * (4.0 / 14.0) * k
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    flip = torch.where(rand(n) < 0.5, -1.0, 1.0)
    theta = torch.stack(
        [
            torch.stack([cos * flip, -sin, shift[:, 0]], 1),
            torch.stack([sin * flip, cos, shift[:, 1]], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, padding_mode="border", align_corners=False)
    gain = 1.0 + (rand(n, 1, 1, 1) - 0.5) * 0.3 * k
    return (out * gain + (rand(n, 1, 1, 1) - 0.5) * 0.1 * k).clamp(0.0, 1.0)


def _train(r: Recipe, seed: int, x: torch.Tensor, y: torch.Tensor, device: str) -> _Net:
    torch.manual_seed(seed)
    gen = torch.Generator(device=device).manual_seed(seed + 1)
    rng = np.random.default_rng(seed)
    net = _Net(r).to(device)
    steps = r.epochs * math.ceil(len(x) / 128)
    opt = torch.optim.AdamW(net.parameters(), lr=r.lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, r.lr, total_steps=steps)
    pos = float(y.sum())
    weight = torch.tensor((len(y) - pos) / pos, device=device) if r.balance else None
    net.train()
    for _ in range(r.epochs):
        order = torch.from_numpy(rng.permutation(len(x))).to(device)
        for idx in torch.split(order, 128):
            xb, yb = _augment(x[idx], gen, r.strength), y[idx]
            if r.mixup:
                lam = float(rng.beta(r.mixup, r.mixup))
                perm = torch.randperm(len(xb), device=device, generator=gen)
                xb, yb = (
                    lam * xb + (1 - lam) * xb[perm],
                    lam * yb + (1 - lam) * yb[perm],
                )
            yb = yb * (1 - r.smoothing) + 0.5 * r.smoothing
            loss = F.binary_cross_entropy_with_logits(net(xb), yb, pos_weight=weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
    return net.eval()


@torch.no_grad()
def _logits(net: _Net, x: torch.Tensor) -> NDArray[np.float64]:
    z = (net(x) + net(x.flip(-1))) / 2
    out: NDArray[np.float64] = z[:, 0].double().cpu().numpy()
    return out


def _scores(
    zv: NDArray[np.float64], yv: NDArray[Any], zt: NDArray[np.float64], yt: NDArray[Any]
) -> dict[str, float]:
    fpr, tpr, thr = roc_curve(yv, zv)
    t = float(thr[np.argmax(tpr - fpr)])
    return {
        "val_auc": float(roc_auc_score(yv, zv)),
        "test_auc": float(roc_auc_score(yt, zt)),
        "test_acc_youden": float(((zt >= t) == yt).mean()),
        "test_acc_logit0": float(((zt >= 0) == yt).mean()),
    }


def _run(job: tuple[str, Recipe, list[int], str, str]) -> dict[str, Any]:
    name, recipe, seeds, data, device = job
    if device == "cpu":
        torch.set_num_threads(1)
    d = np.load(data)

    def tensor(a: NDArray[Any]) -> torch.Tensor:
        return torch.from_numpy(a.astype(np.float32) / 255.0)[:, None].to(device)

    x = tensor(d["train_images"])
    y = torch.from_numpy(d["train_labels"].astype(np.float32)).to(device)
    xv, yv = tensor(d["val_images"]), d["val_labels"][:, 0]
    xt, yt = tensor(d["test_images"]), d["test_labels"][:, 0]
    zv, zt, members = [], [], []
    for seed in seeds:
        net = _train(recipe, seed, x, y, device)
        zv.append(_logits(net, xv))
        zt.append(_logits(net, xt))
        members.append(_scores(zv[-1], yv, zt[-1], yt))
    ens = _scores(np.mean(zv, 0), yv, np.mean(zt, 0), yt)
    n_params = sum(p.numel() for p in net.parameters())
    print(f"{name}: ensemble {ens}", flush=True)
    return {"name": name, "recipe": asdict(recipe), "params": n_params,
            "members": members, "ensemble": ens}  # fmt: skip


def main() -> None:
    """Train the chosen recipes (in parallel processes) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--recipes", default="all")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    names = list(RECIPES) if args.recipes == "all" else args.recipes.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    jobs = [(n, RECIPES[n], seeds, str(args.data), device) for n in names]
    with mp.get_context("spawn").Pool(args.parallel) as pool:
        rows = pool.map(_run, jobs)
    args.out.write_text(json.dumps({"device": device, "rows": rows}, indent=2))
    for r in sorted(rows, key=lambda r: -r["ensemble"]["test_auc"]):
        e = r["ensemble"]
        print(
            f"{r['name']:28s} {r['params']:>9,d} val AUC {e['val_auc']:.4f} "
            f"test AUC {e['test_auc']:.4f} ACC Youden {e['test_acc_youden']:.3f} "
            f"ACC logit0 {e['test_acc_logit0']:.3f}"
        )


if __name__ == "__main__":
    main()
