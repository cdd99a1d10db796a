"""C-MAPSS RUL benchmark: our estimator vs a plain LightGBM and the published table.

Run from the repository root::

    PYTHONPATH=src python -m benchmarks.cmapss [--subsets FD001 FD002 ...]

For each subset: trains the plain LightGBM baseline (window summaries + cycle,
no smoothing, 2 cross-fitted halves) and our estimator
(``RulParams.for_subset``, ``--model`` overrides its kind) on the training
file, scores the last window of each test engine against the RUL file (capped
at 125 for the headline, uncapped beside it), the NASA score, the coverage of
the 90% conformal interval, training wall time and peak memory. Writes
``benchmarks/results/cmapss.json``. Timings are noisy: the machine is shared.
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

from benchmarks._common import load, machine
from benchmarks._merge import peak_rss_mb, write_results
from kiwerk.datasets import load_cmapss
from kiwerk.domains.industry.rul import RulEstimator, RulParams, RulReport, evaluate_rul
from kiwerk.settings import Settings

PUBLISHED = {  # RMSE, capped truth; see shared REFERENCES.md
    "DCNN": (12.61, 22.36, 12.64, 23.31),
    "DAST": (11.43, 15.25, 11.32, 18.23),
    "STAR": (10.61, 13.47, 10.71, 15.87),
    "FFVE": (12.31, 12.55, 12.43, 14.08),
}
TARGET = (10.5, 12.0, 10.5, 12.5)
SUBSETS = ("FD001", "FD002", "FD003", "FD004")


def run(
    subset: str, params: RulParams, seed: int, directory: Path
) -> tuple[RulReport, float, RulEstimator]:
    """Fit on the training file, score the test file; (report, seconds, estimator)."""
    data = load_cmapss(subset, directory=directory)
    start = time.perf_counter()
    est = RulEstimator(params).fit(data.train, seed=seed)
    seconds = time.perf_counter() - start
    interval = est.predict_interval(data.test, alpha=0.1)
    report = evaluate_rul(interval["estimate"], data.rul, params.cap, interval)
    return report, seconds, est


def main() -> None:
    """Run the benchmark and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subsets", nargs="+", default=list(SUBSETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--model",
        choices=["gbm", "cnn", "ensemble"],
        default=None,
        help="override RulParams.model (default: the subset's default)",
    )
    parser.add_argument("--name", default="cmapss", help="results/<name>.json")
    parser.add_argument("--save-models", type=Path, default=None)
    parser.add_argument(
        "--merge", action="store_true", help="keep other subsets' figures in the JSON"
    )
    args = parser.parse_args()
    directory = Settings().data / "cmapss"
    print(f"machine: {machine()}, {load()} at start")
    keys = ("rmse", "rmse_uncapped", "score", "coverage90", "train_s")
    out: dict[str, dict[str, float]] = {k: {} for k in keys}
    extra: dict[str, dict[str, float]] = {
        k: {}
        for k in ("baseline_rmse", "baseline_train_s", "validation_rmse", "peak_mb")
    }
    models: dict[str, str] = {}
    for subset in args.subsets:
        base_params = RulParams.for_subset(
            subset, model="gbm", smoothing=1.0, slow_smoothing=(), folds=2
        )
        base, base_s, _ = run(subset, base_params, args.seed, directory)
        overrides = {"model": args.model} if args.model else {}
        params = RulParams.for_subset(subset, **overrides)
        ours, ours_s, est = run(subset, params, args.seed, directory)
        models[subset] = params.model
        _record(out, extra, subset, ours, ours_s, base, base_s, est)
        if args.save_models:
            args.save_models.mkdir(parents=True, exist_ok=True)
            (args.save_models / f"{subset}.pkl").write_bytes(pickle.dumps(est))
        print(f"{subset}: validation (held-out train engines) RMSE {est.validation_}")
    _print_table(args.subsets, out, extra)
    figures = {**out, **extra, "model": models}
    path = write_results(args.name, figures, merge=args.merge)
    print(f"wrote {path}")


def _record(
    out: dict[str, dict[str, float]],
    extra: dict[str, dict[str, float]],
    subset: str,
    ours: RulReport,
    ours_s: float,
    base: RulReport,
    base_s: float,
    est: RulEstimator,
) -> None:
    out["rmse"][subset] = round(ours.rmse, 3)
    out["rmse_uncapped"][subset] = round(ours.rmse_uncapped, 3)
    out["score"][subset] = round(ours.score, 1)
    out["coverage90"][subset] = round(ours.coverage, 3)
    out["train_s"][subset] = round(ours_s, 1)
    extra["baseline_rmse"][subset] = round(base.rmse, 3)
    extra["baseline_train_s"][subset] = round(base_s, 1)
    extra["validation_rmse"][subset] = round(est.validation_["rmse"], 3)
    extra["peak_mb"][subset] = round(peak_rss_mb(), 0)


def _print_table(
    subsets: list[str],
    out: dict[str, dict[str, float]],
    extra: dict[str, dict[str, float]],
) -> None:
    cols = [s for s in SUBSETS if s in subsets]
    idx = [SUBSETS.index(s) for s in cols]
    line = "{:<28}" + "{:>10}" * len(cols)
    print(line.format("RMSE (capped truth)", *cols))
    for name, values in PUBLISHED.items():
        print(line.format(name, *(f"{values[i]:.2f}" for i in idx)))
    print(line.format("target", *(f"{TARGET[i]:.2f}" for i in idx)))
    print(
        line.format(
            "LightGBM baseline (this run)",
            *(f"{extra['baseline_rmse'][s]:.2f}" for s in cols),
        )
    )
    rows = [
        ("ours", "rmse", "{:.2f}"),
        ("ours, uncapped truth", "rmse_uncapped", "{:.2f}"),
        ("ours, NASA score", "score", "{:.0f}"),
        ("ours, 90% coverage", "coverage90", "{:.2f}"),
        ("ours, train seconds", "train_s", "{:.0f}"),
    ]
    for label, key, fmt in rows:
        print(line.format(label, *(fmt.format(out[key][s]) for s in cols)))
    ratio = [out["rmse"][s] / extra["baseline_rmse"][s] for s in cols]
    print(line.format("ours / baseline RMSE", *(f"{r:.3f}" for r in ratio)))
    print(
        line.format(
            "peak RSS MiB (process)", *(f"{extra['peak_mb'][s]:.0f}" for s in cols)
        )
    )


if __name__ == "__main__":
    main()
