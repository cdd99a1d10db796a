"""CWRU benchmark: bearing fault diagnosis with a 70/30 time split per recording.

Usage::

    python benchmarks/cwru.py [--data ../shared/data/cwru]

10 classes (normal; inner race, ball, outer race at 7, 14, 21 mils), 0 HP,
12 kHz drive-end and fan-end channels (the 48 kHz normal baseline decimated
to 12 kHz). Windows of the first 70 % of each recording train, windows of the
last 30 % test; no window crosses the cut. Baseline in the same run: the same
forest on time-domain statistics only (RMS, kurtosis, skewness, crest factor).
Writes benchmarks/results/cwru.json.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks._common import machine, write_result
from kiwerk.domains.industry.bearing import (
    BearingDiagnoser,
    DiagnosisParams,
    DiagnosisSplit,
    read_cwru,
    time_split,
)
from kiwerk.settings import Settings


def _stats_only(split: DiagnosisSplit, params: DiagnosisParams) -> DiagnosisSplit:
    """Keep the 4 statistics per channel (the last 4 of each channel's block)."""
    per_channel = params.n_bands + params.n_bands // 2 + 4
    cols = [c * per_channel + per_channel - 4 + k for c in range(2) for k in range(4)]
    return DiagnosisSplit(
        split.x_train[:, cols], split.y_train, split.x_test[:, cols], split.y_test
    )


def main() -> None:
    """Run the benchmark and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Settings().data / "cwru")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    recs = read_cwru(args.data)
    params = DiagnosisParams()
    start = time.perf_counter()
    split = time_split(recs, params)
    report = BearingDiagnoser(params).evaluate(split)
    elapsed = time.perf_counter() - start
    base = BearingDiagnoser(params).evaluate(_stats_only(split, params))
    print(
        f"{len(recs)} recordings, {report.n_train} train / {report.n_test} test windows"
    )
    print(f"{'model':45s} {'accuracy':>9s} {'macro-F1':>9s}")
    print(
        f"{'baseline: forest on time-domain statistics':45s} "
        f"{base.accuracy:9.4f} {base.macro_f1:9.4f}"
    )
    print(
        f"{'kiwerk: spectra + envelope spectra + stats':45s} "
        f"{report.accuracy:9.4f} {report.macro_f1:9.4f}"
    )
    worst = int(np.argmin(report.per_class_f1))
    print(
        f"worst class: {report.labels[worst]} F1 {report.per_class_f1[worst]:.4f};"
        f" ratio macro-F1 ours/baseline {report.macro_f1 / base.macro_f1:.3f};"
        f" features + fit + predict {elapsed:.1f} s"
    )
    path = write_result(
        "cwru",
        {
            "macro_f1": round(report.macro_f1, 4),
            "accuracy": round(report.accuracy, 4),
            "baseline_macro_f1": round(base.macro_f1, 4),
            "baseline_accuracy": round(base.accuracy, 4),
            "ratio": round(report.macro_f1 / base.macro_f1, 4),
            "n_train_windows": report.n_train,
            "n_test_windows": report.n_test,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
