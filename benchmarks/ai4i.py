"""AI4I 2020 benchmark: machine-failure F1 and ROC-AUC on the clean protocol.

Usage::

    python benchmarks/ai4i.py [--data ../shared/data/ai4i2020] [--seed 42]
                              [--split-seeds 5]

Trains the ``industry-failure`` pilot through the shared pipeline (5-fold CV
on the training part, threshold chosen by inner CV on training data only,
stratified 20 % held-out test split, MLflow registry in a temporary folder)
and, in the same run on the same split, the plain-LightGBM baseline (raw
process columns, default parameters, threshold 0.5). Failure-mode columns,
UDI and Product ID are never features. Also refits our model on other split
seeds to show the spread. Prints our figures beside the published range and
the baseline, and writes benchmarks/results/ai4i.json.
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import machine, write_result
from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import FrameSource, TrainParams, train_pilot
from kiwerk.datasets import load_ai4i
from kiwerk.domains.industry.failure import (
    failure_metrics,
    failure_pilot,
    labels,
    make_model,
    physics_features,
    split_ai4i,
)
from kiwerk.settings import Settings

PUBLISHED_F1 = (0.70, 0.90)
PUBLISHED_AUC = (0.95, 0.98)
RAW = [
    "Air temperature [K]",
    "Process temperature [K]",
    "Rotational speed [rpm]",
    "Torque [Nm]",
    "Tool wear [min]",
]


def baseline(rows: pd.DataFrame, seed: int) -> tuple[float, float, float]:
    """Plain LightGBM on the raw columns: test F1, ROC-AUC and fit seconds."""
    import lightgbm as lgb
    from sklearn.metrics import f1_score, roc_auc_score

    split = split_ai4i({"ai4i2020": rows}, seed)

    def table(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[RAW].astype(float)
        out.columns = ["air", "process", "speed", "torque", "wear"]
        return out.assign(quality=frame["Type"].map({"L": 0, "M": 1, "H": 2}))

    start = time.perf_counter()
    model = lgb.LGBMClassifier(random_state=seed, verbose=-1, n_jobs=1)
    model.fit(table(split.train), split.train["Machine failure"])
    seconds = time.perf_counter() - start
    risk = np.asarray(model.predict_proba(table(split.test)))[:, 1]
    truth = split.test["Machine failure"]
    return (
        float(f1_score(truth, risk >= 0.5)),
        float(roc_auc_score(truth, risk)),
        seconds,
    )


def spread(rows: pd.DataFrame, seeds: list[int]) -> tuple[list[float], list[float]]:
    """Our model's test F1 and ROC-AUC on other split seeds (no CV, same recipe)."""
    f1s, aucs = [], []
    for seed in seeds:
        split = split_ai4i({"ai4i2020": rows}, seed)
        model = make_model(seed).fit(physics_features(split.train), labels(split.train))
        m = failure_metrics(model, physics_features(split.test), labels(split.test))
        f1s.append(m["f1"])
        aucs.append(m["roc_auc"])
        print(f"  split seed {seed}: F1 {m['f1']:.3f}  ROC-AUC {m['roc_auc']:.4f}")
    return f1s, aucs


def main() -> None:
    """Run the benchmark and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Settings().data / "ai4i2020")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--split-seeds", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    rows = load_ai4i(directory=args.data)
    print(f"machine: {machine()}")
    print(f"AI4I 2020: {len(rows)} rows, {int(rows['Machine failure'].sum())} failures")

    base_f1, base_auc, base_s = baseline(rows, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        registry = ModelRegistry(f"sqlite:///{tmp}/mlflow.db", Path(tmp) / "art")
        registry.names()  # create the store before timing
        start = time.perf_counter()
        report = train_pilot(
            failure_pilot(),
            FrameSource({"ai4i2020": rows}),
            registry,
            TrainParams(seed=args.seed),
        )
        train_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    f1, auc = report.metrics["f1"], report.metrics["roc_auc"]
    cv_m, cv_s = report.cv_mean, report.cv_sd

    print(f"\nheld-out test split (20 %, stratified, seed {args.seed}):")
    print(f"{'':28}{'F1':>8}{'ROC-AUC':>10}")
    print(f"{'kiwerk industry-failure':28}{f1:8.3f}{auc:10.4f}")
    print(
        f"{'  5-fold CV on train (±sd)':28}{cv_m['f1']:8.3f}{cv_m['roc_auc']:10.4f}"
        f"   ± {cv_s['f1']:.3f} / {cv_s['roc_auc']:.4f}"
    )
    print(f"{'plain LightGBM (baseline)':28}{base_f1:8.3f}{base_auc:10.4f}")
    print(f"{'published range':28}{'0.70-0.90':>8}{'0.95-0.98':>10}")
    print(f"ratio ours / baseline: F1 {f1 / base_f1:.3f}, ROC-AUC {auc / base_auc:.4f}")
    print(
        f"precision {report.metrics['precision']:.3f}, recall "
        f"{report.metrics['recall']:.3f}, threshold {report.metrics['threshold']:.2f}"
    )
    print(
        f"train (5-fold CV + final fit + explain + register): {train_s:.1f} s; "
        f"baseline fit {base_s:.2f} s; peak RSS {peak:.0f} MiB"
    )

    seeds = [s for s in range(args.split_seeds + 1) if s != args.seed][
        : args.split_seeds
    ]
    print(f"\nspread over {len(seeds)} other split seeds:")
    f1s, aucs = spread(rows, seeds)
    write_result(
        "ai4i",
        {
            "f1": round(f1, 4),
            "roc_auc": round(auc, 4),
            "precision": round(report.metrics["precision"], 4),
            "recall": round(report.metrics["recall"], 4),
            "cv_f1_mean": round(cv_m["f1"], 4),
            "cv_f1_sd": round(cv_s["f1"], 4),
            "cv_roc_auc_mean": round(cv_m["roc_auc"], 4),
            "cv_roc_auc_sd": round(cv_s["roc_auc"], 4),
            "baseline_f1": round(base_f1, 4),
            "baseline_roc_auc": round(base_auc, 4),
            "ratio_f1": round(f1 / base_f1, 4),
            "ratio_roc_auc": round(auc / base_auc, 4),
            "split_seeds_f1_mean": round(statistics.mean(f1s), 4),
            "split_seeds_f1_sd": round(statistics.stdev(f1s), 4)
            if len(f1s) > 1
            else 0.0,
            "split_seeds_roc_auc_mean": round(statistics.mean(aucs), 4),
            "split_seeds_roc_auc_sd": (
                round(statistics.stdev(aucs), 4) if len(aucs) > 1 else 0.0
            ),
            "split_seeds_roc_auc_min": round(float(np.min(aucs)), 4),
            "published_f1": list(PUBLISHED_F1),
            "published_roc_auc": list(PUBLISHED_AUC),
            "seed": args.seed,
            "train_s": round(train_s, 1),
            "baseline_train_s": round(base_s, 2),
            "peak_rss_mib": round(peak, 1),
        },
    )


if __name__ == "__main__":
    main()
