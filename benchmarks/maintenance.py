"""Maintenance-policy KPI on the C-MAPSS test fleet.

Run from the repository root::

    PYTHONPATH=src python -m benchmarks.maintenance [--subset FD001] [--model-file F]

Trains the RUL estimator on the training file (or loads one pickled by
``benchmarks/cmapss.py --save-models``), predicts the conformal interval after
every observed cycle of every test engine (each prediction sees only the
prefix up to that cycle), and simulates run-to-failure, the best fixed
interval and the predictive policy on the test fleet, whose true failure cycle
is the last observed cycle plus the true RUL. Writes
``benchmarks/results/maintenance.json``.
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

from benchmarks._common import machine
from benchmarks._merge import write_results
from kiwerk.datasets import load_cmapss
from kiwerk.domains.industry.maintenance import MaintenanceParams, simulate_policies
from kiwerk.domains.industry.rul import RulEstimator, RulParams
from kiwerk.settings import Settings


def main() -> None:
    """Run the simulation and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subset", default="FD001")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-file", type=Path, default=None)
    args = parser.parse_args()
    print(f"machine: {machine()} (shared: timings are noisy)")
    data = load_cmapss(args.subset, directory=Settings().data / "cmapss")
    if args.model_file:
        est = pickle.loads(args.model_file.read_bytes())
    else:
        start = time.perf_counter()
        est = RulEstimator(RulParams.for_subset(args.subset)).fit(
            data.train, seed=args.seed
        )
        print(f"trained in {time.perf_counter() - start:.0f} s")
    params = MaintenanceParams()
    trajectory = est.predict_trajectory(data.test, alpha=params.alpha)
    failure = data.test.groupby("unit")["cycle"].max() + data.rul
    report = simulate_policies(trajectory, failure, params)
    print(f"{args.subset} test fleet, {len(failure)} engines; costs: {params}")
    print(report.to_frame().to_string(float_format=lambda v: f"{v:,.0f}"))
    best, pred = report.outcome("fixed-interval"), report.outcome("predictive")
    print(
        f"best fixed interval: {report.best_interval} cycles "
        "(chosen on the fleet itself)\n"
        f"predictive saves {report.saving:,.0f} ({report.saving_share:.1%}) "
        "against it; "
        f"downtime {pred.downtime_h:.0f} h vs {best.downtime_h:.0f} h"
    )
    figures = {
        "cost_predictive": pred.cost,
        "cost_best_interval": best.cost,
        "downtime_h_predictive": pred.downtime_h,
        "downtime_h_best_interval": best.downtime_h,
        "cost_run_to_failure": report.outcome("run-to-failure").cost,
        "downtime_h_run_to_failure": report.outcome("run-to-failure").downtime_h,
        "failures_predictive": pred.failures,
        "failures_best_interval": best.failures,
        "failures_run_to_failure": report.outcome("run-to-failure").failures,
        "best_interval": report.best_interval,
        "saving": report.saving,
        "saving_share": report.saving_share,
        "subset": args.subset,
    }
    print(f"wrote {write_results('maintenance', figures)}")


if __name__ == "__main__":
    main()
