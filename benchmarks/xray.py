"""X-ray triage benchmark on PneumoniaMNIST (official splits, CPU).

Trains the shipped recipe (an ensemble of small CNNs with flip TTA, one torch
thread per member, members trained side by side in one process per core, a
30-minute training budget), then reports on the official test split:
AUC and accuracy at the Youden threshold chosen on validation, ECE before and
after temperature scaling, the abstain band's coverage and accuracy, the
triage KPI at sensitivity ≥ 0.95, the out-of-distribution gate's AUROC on
corrupted test images, and single-image CPU latency (p50/p99) with and
without a Grad-CAM heat map. The baseline, measured in the same run, is the
ensemble's first member alone without TTA. ChestMNIST is scored when
``<data>/medmnist/chestmnist.npz`` exists (mean AUC over its 14 findings).

Run::

    PYTHONPATH=src python benchmarks/xray.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from kiwerk.domains.health import (
    XrayNetParams,
    XrayTriage,
    XrayTriageParams,
    corrupt,
    coverage_curve,
    load_medmnist,
    mean_label_auc,
    predict_logits,
    save_overlay,
    sigmoid,
    train_xray_net,
    youden_threshold,
)
from kiwerk.settings import Settings

RESULTS = Path(__file__).parent / "results"
PUBLISHED = {  # MedMNIST v2 (Yang et al. 2023) and MedMNIST+ (Doerrich et al. 2025)
    "ResNet-18 (28)": (0.944, 0.854),
    "ResNet-50 (224)": (0.962, 0.884),
    "AutoKeras": (0.947, 0.878),
    "Google AutoML Vision": (0.991, 0.946),
    "MedMNIST+ best (224)": (0.989, 0.916),
}


def machine() -> str:
    """CPU, cores and Python/torch versions of this run."""
    return (
        f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} "
        f"torch threads of {len(__import__('os').sched_getaffinity(0))} cores, "
        f"Python {platform.python_version()}, torch {torch.__version__}"
    )


def latency_ms(
    fn: Callable[[np.ndarray], object], images: np.ndarray, n: int
) -> tuple[float, float]:
    """p50 and p99 wall time (ms) of ``fn`` on one image at a time."""
    times = []
    for i in range(n):
        one = images[i % len(images)][None]
        start = time.perf_counter()
        fn(one)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def chest_mean_auc(data: Path, quick: bool) -> float | None:
    """Mean test AUC over the 14 ChestMNIST findings, or None when absent."""
    path = data / "medmnist" / "chestmnist.npz"
    if not path.is_file():
        return None
    ds = load_medmnist(path, limit=2000 if quick else None)
    net = XrayNetParams(n_labels=14, epochs=2 if quick else 10)
    nets = [train_xray_net(ds.train.images, ds.train.labels, net, seed=0)]
    return mean_label_auc(ds.test.labels, predict_logits(nets, ds.test.images))


def main() -> None:
    """Train, evaluate, time and write ``results/xray.json``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--models", type=int, default=3)
    parser.add_argument("--budget", type=float, default=1800.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = Settings().data
    ds = load_medmnist(
        data / "medmnist" / "pneumoniamnist.npz", limit=400 if args.quick else None
    )
    net = XrayNetParams(width=8, epochs=1) if args.quick else XrayNetParams()
    params = XrayTriageParams(net=net, n_models=args.models, time_budget_s=args.budget)
    print(f"machine: {machine()}")
    model = XrayTriage(params, seed=0).fit(ds.train, ds.val)
    print(
        f"trained {len(model.nets_)} nets, {params.n_workers()} at a time, in "
        f"{model.train_seconds_:.0f} s wall, {model.train_cpu_seconds_:.0f} s CPU"
    )
    test = ds.test
    y = test.labels[:, 0]
    scores = model.evaluate(test)
    z_base = predict_logits(model.nets_[:1], ds.val.images, tta=False)[:, 0]
    t_base = youden_threshold(sigmoid(z_base), ds.val.labels[:, 0])
    p_base = sigmoid(predict_logits(model.nets_[:1], test.images, tta=False)[:, 0])
    base = {
        "auc": float(roc_auc_score(y, p_base)),
        "acc": float(((p_base >= t_base) == y).mean()),
    }
    probs = model.predict_proba(test.images)
    curve = coverage_curve(probs, y, model.threshold_)
    ood_imgs = corrupt(test.images, seed=1)
    ood_scores = np.r_[model.gate_.score(test.images), model.gate_.score(ood_imgs)]
    ood_auroc = float(
        roc_auc_score(np.r_[np.zeros(len(y)), np.ones(len(y))], ood_scores)
    )
    refused_clean = float(model.gate_.refuse(test.images).mean())
    refused_ood = float(model.gate_.refuse(ood_imgs).mean())
    n = 50 if args.quick else 300
    p50, p99 = latency_ms(model.predict, test.images, n)
    b50, b99 = latency_ms(
        lambda im: predict_logits(model.nets_[:1], im, tta=False), test.images, n
    )
    h50, h99 = latency_ms(
        lambda im: (model.predict(im), model.explain(im)), test.images, n // 3
    )
    heat = RESULTS / "xray_heatmaps"
    maps = model.explain(test.images[:8])
    for i in range(8):
        save_overlay(
            test.images[i],
            maps[i],
            heat / f"test_{i}.png",
            caption=f"p(pneumonia)={probs[i]:.2f} label={int(y[i])}",
        )
    chest = chest_mean_auc(data, args.quick)
    print(
        f"baseline (1 net, no TTA): AUC {base['auc']:.4f} ACC {base['acc']:.4f}, "
        f"p50 {b50:.2f} ms p99 {b99:.2f} ms"
    )
    print(
        f"shipped ({len(model.nets_)} nets + TTA): AUC {scores['auc']:.4f} "
        f"ACC {scores['acc']:.4f} (ratio AUC {scores['auc'] / base['auc']:.3f}), "
        f"p50 {p50:.2f} ms p99 {p99:.2f} ms (ratio {p99 / b99:.2f})"
    )
    print(
        f"accuracy at the balanced-prior decision (logit 0, no validation "
        f"threshold): {scores['acc_balanced_prior']:.4f}"
    )
    print(f"with heat map: p50 {h50:.2f} ms p99 {h99:.2f} ms")
    print(
        f"ECE {scores['ece_before']:.4f} -> {scores['ece_after']:.4f} "
        f"(T={model.temperature_:.3f})"
    )
    print(
        f"abstain band ±{model.band_:.2f}: coverage {scores['coverage']:.3f}, "
        f"accuracy of decided {scores['acc_decided']:.4f}"
    )
    print(
        f"KPI: {scores['normals_deprioritised']:.3f} of normals deprioritised at "
        f"sensitivity {scores['sensitivity_at_triage']:.3f}"
    )
    print(
        f"OOD gate AUROC {ood_auroc:.4f}; refused clean {refused_clean:.3f}, "
        f"corrupted {refused_ood:.3f}"
    )
    for name, (auc, acc) in PUBLISHED.items():
        print(f"  published {name}: AUC {auc} ACC {acc}")
    result = {
        "pneumonia_auc": scores["auc"],
        "pneumonia_acc": scores["acc"],
        "pneumonia_acc_balanced_prior": scores["acc_balanced_prior"],
        "chest_mean_auc": chest,
        "ece_before": scores["ece_before"],
        "ece_after": scores["ece_after"],
        "p50_ms": p50,
        "p99_ms": p99,
        "p50_ms_heatmap": h50,
        "p99_ms_heatmap": h99,
        "baseline_auc": base["auc"],
        "baseline_acc": base["acc"],
        "baseline_p99_ms": b99,
        "train_seconds": model.train_seconds_,
        "train_cpu_seconds": model.train_cpu_seconds_,
        "n_models": len(model.nets_),
        "train_workers": params.n_workers(),
        "temperature": model.temperature_,
        "threshold": model.threshold_,
        "abstain_half_width": model.band_,
        "coverage": scores["coverage"],
        "acc_decided": scores["acc_decided"],
        "coverage_curve": [vars(c) for c in curve],
        "kpi_normals_deprioritised": scores["normals_deprioritised"],
        "kpi_sensitivity": scores["sensitivity_at_triage"],
        "ood_auroc": ood_auroc,
        "ood_refused_clean": refused_clean,
        "ood_refused_corrupted": refused_ood,
        "quick": args.quick,
        "machine": machine(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "xray.json").write_text(
        json.dumps(result, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
