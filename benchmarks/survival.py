"""Disease-course risk benchmark: Cox vs random survival forest, 5-fold CV.

On the three clinical datasets bundled with scikit-survival (GBSG2, WHAS500,
Veterans' lung cancer): Harrell's and Uno's C-index and the integrated Brier
score, mean ± sd over stratified folds. The Cox model is the baseline measured
in the same run; the ratio is RSF / Cox on Harrell's C. Published reference:
scikit-survival's user guide ("Using Random Survival Forests") reports
Harrell's C = 0.676 for a 1000-tree RSF on GBSG2 (one 75/25 split,
random_state 20) — another protocol than our 5-fold CV, so compare loosely.
Per-patient survival curves with their drivers are written as PNG.

Run::

    PYTHONPATH=src python benchmarks/survival.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

from kiwerk.domains.health import (
    SurvivalParams,
    cross_validate_survival,
    load_survival,
    make_survival_model,
    patient_risks,
    plot_survival_curves,
)

RESULTS = Path(__file__).parent / "results"
PUBLISHED = {"gbsg2": {"rsf_harrell_c": 0.676}}
UNITS = {"gbsg2": "days", "whas500": "days", "veterans": "days"}


def main() -> None:
    """Cross-validate both models on the three datasets; write survival.json."""
    machine = (
        f"{platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}"
    )
    print(f"machine: {machine}")
    params = SurvivalParams()
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name in ("gbsg2", "whas500", "veterans"):
        data = load_survival(name)
        table[name] = {}
        for kind in ("cox", "rsf"):
            start = time.perf_counter()
            r = cross_validate_survival(data, kind, params, seed=0)
            table[name][kind] = {
                "harrell_c": r.harrell_c,
                "harrell_c_sd": r.harrell_c_std,
                "uno_c": r.uno_c,
                "uno_c_sd": r.uno_c_std,
                "ibs": r.ibs,
                "ibs_sd": r.ibs_std,
                "seconds": time.perf_counter() - start,
            }
            print(
                f"{name:9s} {kind}: Harrell {r.harrell_c:.3f}±{r.harrell_c_std:.3f}  "
                f"Uno {r.uno_c:.3f}±{r.uno_c_std:.3f}  IBS {r.ibs:.3f}±{r.ibs_std:.3f}"
            )
        ratio = table[name]["rsf"]["harrell_c"] / table[name]["cox"]["harrell_c"]
        print(f"{name:9s} RSF / Cox (baseline) Harrell's C ratio: {ratio:.3f}")
        model = make_survival_model("rsf", params).fit(data.X.iloc[:-6], data.y[:-6])
        patients = patient_risks(model, data.X.iloc[:-6], data.X.iloc[-6:])
        plot_survival_curves(
            patients,
            RESULTS / f"survival_curves_{name}.png",
            title=f"{name}: RSF survival of 6 held-out patients",
            time_unit=UNITS[name],
        )
    for name, ref in PUBLISHED.items():
        print(f"published {name}: {ref} (scikit-survival user guide, 75/25 split)")
    result = {
        "c_index": {n: table[n]["rsf"]["harrell_c"] for n in table},
        "c_index_cox": {n: table[n]["cox"]["harrell_c"] for n in table},
        "uno_c_index": {n: table[n]["rsf"]["uno_c"] for n in table},
        "ibs": {n: table[n]["rsf"]["ibs"] for n in table},
        "details": table,
        "published": PUBLISHED,
        "folds": params.folds,
        "machine": machine,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "survival.json").write_text(
        json.dumps(result, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
