"""A small CNN for 28 × 28 chest X-rays, its augmentations and its training.

The network is deliberately small (a few hundred thousand weights) so that it
trains on a 2-core CPU within minutes; an ensemble of such nets with flip
test-time augmentation is the shipped recipe. Training uses one thread by
default because on a busy small machine torch runs faster that way.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class XrayNetParams:
    """Architecture and training settings of :class:`XrayNet`.

    Parameters
    ----------
    width
        Channels of the first stage; later stages double it.
    n_labels
        Output logits: 1 for PneumoniaMNIST, 14 for ChestMNIST.
    epochs
        Passes over the training split.
    batch_size
        Images per step.
    lr
        Peak learning rate of the one-cycle schedule (AdamW).
    weight_decay
        AdamW weight decay.
    dropout
        Dropout before the last layer.
    augment
        Random shifts, rotations and contrast changes while training.
    strength
        Scale of those augmentations (1.0: ±10°, ±2 px, ±8 % zoom).
    balance
        Weight each label's positives by its negatives-to-positives ratio in
        the training set, so both classes count equally (a balanced-prior
        model; PneumoniaMNIST's training split is 74 % pneumonia).
    threads
        ``torch.set_num_threads`` while training and predicting.
    """

    width: int = 24
    n_labels: int = 1
    epochs: int = 30
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 5e-4
    dropout: float = 0.2
    augment: bool = True
    strength: float = 1.5
    balance: bool = True
    threads: int = 1

    def __post_init__(self) -> None:
        if self.width < 4:
            raise ValueError(f"Expected width >= 4, got {self.width}.")
        if self.n_labels < 1:
            raise ValueError(f"Expected n_labels >= 1, got {self.n_labels}.")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("Expected epochs >= 1 and batch_size >= 1.")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"Expected dropout in [0, 1), got {self.dropout}.")
        if self.strength < 0.0:
            raise ValueError(f"Expected strength >= 0, got {self.strength}.")


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class XrayNet(nn.Module):
    """Three conv stages (28 → 14 → 7 px), global average pooling, a linear head.

    ``self.last_conv`` is the layer Grad-CAM attributes to.

    Examples
    --------
    >>> net = XrayNet(XrayNetParams(width=8))
    >>> net(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 1])
    """

    def __init__(self, params: XrayNetParams) -> None:
        super().__init__()
        w = params.width
        self.stage1 = _block(1, w)
        self.stage2 = _block(w, 2 * w)
        self.stage3 = _block(2 * w, 4 * w)
        self.last_conv: nn.Module = self.stage3
        self.dropout = nn.Dropout(params.dropout)
        self.head = nn.Linear(4 * w, params.n_labels)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """Globally pooled last-stage features ``N × 4·width``."""
        x = (x - 0.5) / 0.25
        x = F.max_pool2d(self.stage1(x), 2)
        x = F.max_pool2d(self.stage2(x), 2)
        return F.adaptive_avg_pool2d(self.stage3(x), 1).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``N × n_labels`` for images ``N × 1 × H × W`` scaled to [0, 1]."""
        out: torch.Tensor = self.head(self.dropout(self.pooled(x)))
        return out


def to_tensor(images: NDArray[np.uint8]) -> torch.Tensor:
    """uint8 images ``N × H × W`` → float tensor ``N × 1 × H × W`` in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32) / 255.0)[
        :, None
    ]


def augment(
    x: torch.Tensor, gen: torch.Generator, strength: float = 1.0
) -> torch.Tensor:
    """Random rotation (±10°), shift (±2 px), zoom (±8 %), flip and contrast.

    ``strength`` scales every range except the flip.
    """
    n, k = x.shape[0], strength
    angle = (torch.rand(n, generator=gen) - 0.5) * (2 * math.pi / 18) * k
    scale = 1.0 + (torch.rand(n, generator=gen) - 0.5) * 0.16 * k
    shift = (torch.rand(n, 2, generator=gen) - 0.5) * (4.0 / 14.0) * k
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    flip = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    theta = torch.stack(
        [
            torch.stack([cos * flip, -sin, shift[:, 0]], dim=1),
            torch.stack([sin * flip, cos, shift[:, 1]], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, padding_mode="border", align_corners=False)
    gain = 1.0 + (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.3 * k
    bias = (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.1 * k
    return (out * gain + bias).clamp(0.0, 1.0)


def train_xray_net(
    images: NDArray[np.uint8],
    labels: NDArray[np.uint8],
    params: XrayNetParams,
    *,
    seed: int = 0,
    time_budget_s: float | None = None,
) -> XrayNet:
    """Train one :class:`XrayNet` with AdamW, one-cycle schedule and BCE loss.

    Parameters
    ----------
    images
        Training images ``N × H × W`` uint8.
    labels
        Labels ``N × n_labels`` in {0, 1}.
    params
        Architecture and schedule.
    seed
        Seeds the weights, the batch order and the augmentations.
    time_budget_s
        Stop early (between steps) when training has run this long.

    Returns
    -------
    XrayNet
        The trained network in evaluation mode.
    """
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{images.shape[0]} images but {labels.shape[0]} labels.")
    rng = np.random.default_rng(seed)
    torch.manual_seed(int(rng.integers(2**31)))
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    previous = torch.get_num_threads()
    torch.set_num_threads(params.threads)
    try:
        net = XrayNet(params)
        x_all, y_all = to_tensor(images), torch.from_numpy(labels.astype(np.float32))
        pos_weight = _pos_weight(y_all) if params.balance else None
        steps = params.epochs * math.ceil(len(x_all) / params.batch_size)
        opt = torch.optim.AdamW(
            net.parameters(), lr=params.lr, weight_decay=params.weight_decay
        )
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, params.lr, total_steps=steps)
        start = time.perf_counter()
        net.train()
        for _ in range(params.epochs):
            order = torch.from_numpy(rng.permutation(len(x_all)))
            for idx in torch.split(order, params.batch_size):
                xb, yb = x_all[idx], y_all[idx]
                if params.augment:
                    xb = augment(xb, gen, params.strength)
                loss = F.binary_cross_entropy_with_logits(
                    net(xb), yb, pos_weight=pos_weight
                )
                opt.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                sched.step()
            if (
                time_budget_s is not None
                and time.perf_counter() - start > time_budget_s
            ):
                break
    finally:
        torch.set_num_threads(previous)
    return net.eval()


def _pos_weight(labels: torch.Tensor) -> torch.Tensor:
    """Per label, negatives over positives (clipped to [0.01, 100])."""
    pos = labels.sum(0)
    return ((len(labels) - pos) / pos.clamp(min=1.0)).clamp(0.01, 100.0)


@torch.no_grad()
def predict_logits(
    nets: list[XrayNet], images: NDArray[np.uint8], *, tta: bool = True
) -> NDArray[np.float64]:
    """Mean logits of an ensemble, optionally averaged with the mirrored image.

    Parameters
    ----------
    nets
        Trained networks (one or more).
    images
        Images ``N × H × W`` uint8.
    tta
        Also score the left-right mirrored image and average the logits.

    Returns
    -------
    numpy.ndarray
        Logits ``N × n_labels``.
    """
    if not nets:
        raise ValueError("Expected at least one network.")
    x = to_tensor(images)
    views = [x, x.flip(-1)] if tta else [x]
    total = torch.zeros(x.shape[0], nets[0].head.out_features)
    for net in nets:
        net.eval()
        for view in views:
            for i in range(0, len(view), 1024):
                total[i : i + 1024] += net(view[i : i + 1024])
    return (total / (len(nets) * len(views))).double().numpy()
