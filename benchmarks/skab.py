"""SKAB benchmark: online outlier and change-point detection, SKAB's metrics.

Usage::

    python benchmarks/skab.py [--data ../shared/data/skab]

Every labelled file is replayed as its own machine, all side by side, each
point seen once and in order. Prints the leaderboard figures (outlier F1, FAR,
MAR; NAB standard / low FP / low FN), FAR on the points after each file's fit
window, and the per-sensor-z-score baseline measured in the same run, and
writes benchmarks/results/skab.json.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks._common import machine, write_result
from kiwerk.core.monitor import MewmaParams
from kiwerk.domains.industry.stream import (
    SkabParams,
    evaluate_skab,
    read_skab,
)
from kiwerk.domains.industry.stream._skab import SKAB_SENSORS
from kiwerk.settings import Settings


def main() -> None:
    """Run the benchmark and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Settings().data / "skab")
    args = parser.parse_args()
    files = read_skab(args.data)
    print(f"machine: {machine()}")
    print(
        f"SKAB: {len(files)} labelled files, {sum(len(f.time) for f in files)} points"
    )

    # baseline: plain T² (λ = 1) on all 8 sensors fitted on each file's first 400
    # points, no hysteresis, change points where its labels switch (SKAB's way)
    base_params = SkabParams(
        outlier=MewmaParams(smoothing=1.0, factor=1.0, off_count=1),
        sensors=SKAB_SENSORS,
        cp_from_outliers=True,
    )
    base = evaluate_skab(files, base_params)
    start = time.perf_counter()
    ours = evaluate_skab(files, SkabParams())
    elapsed = time.perf_counter() - start
    n = sum(len(f.time) for f in files)
    rows = [("baseline T² (all sensors, λ=1, q99)", base), ("kiwerk MEWMA T²", ours)]
    print(
        f"{'detector':40s} {'F1':>5s} {'FAR%':>6s} {'MAR%':>6s} {'FAR% after fit':>15s}"
        f" {'NAB std':>8s} {'lowFP':>7s} {'lowFN':>7s}"
    )
    for name, r in rows:
        print(
            f"{name:40s} {r.outlier.f1:5.2f} {r.outlier.far:6.2f} {r.outlier.mar:6.2f}"
            f" {r.outlier_after_fit.far:15.2f} {r.nab_standard:8.2f}"
            f" {r.nab_low_fp:7.2f} {r.nab_low_fn:7.2f}"
        )
    print(
        "reference (SKAB leaderboard): Conv-AE F1 0.78 FAR 13.55 MAR 28.02;"
        " MSCRED NAB standard 32.42"
    )
    print(
        f"ratio F1 ours/baseline: {ours.outlier.f1 / base.outlier.f1:.3f};"
        f" {n / elapsed:,.0f} points/s scored"
    )
    path = write_result(
        "skab",
        {
            "outlier_f1": round(ours.outlier.f1, 4),
            "far": round(ours.outlier.far, 2),
            "mar": round(ours.outlier.mar, 2),
            "nab_standard": round(ours.nab_standard, 2),
            "nab_low_fp": round(ours.nab_low_fp, 2),
            "nab_low_fn": round(ours.nab_low_fn, 2),
            "far_after_fit": round(ours.outlier_after_fit.far, 2),
            "baseline_outlier_f1": round(base.outlier.f1, 4),
            "baseline_far": round(base.outlier.far, 2),
            "baseline_mar": round(base.outlier.mar, 2),
            "baseline_nab_standard": round(base.nab_standard, 2),
            "ratio_f1": round(ours.outlier.f1 / base.outlier.f1, 4),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
