"""Traffic forecasting on Los-loop with the T-GCN protocol.

Usage::

    python benchmarks/traffic.py [--data ../shared/data] [--no-gbm]

Chronological 80/20 split, 12 input steps, horizons 3/6/9/12 steps
(15–60 min), metrics over all steps up to the horizon as the T-GCN code
computes them. Persistence, historical average, a graph ridge and the LightGBM
baseline are measured in the same run as kiwerk's graph blend. Prints the
table with the published T-GCN / A3T-GCN rows, writes
benchmarks/results/traffic.json, a sensor map and one explained forecast.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks._common import RESULTS, load, machine, write_result
from kiwerk.datasets import load_los_loop, load_metr_la_graph
from kiwerk.domains.mobility import (
    GraphDiffusionNet,
    draw_sensor_map,
    evaluate_traffic,
    explain_forecast,
    series_from_los_loop,
    split_origins,
)
from kiwerk.settings import Settings

# Los-loop RMSE at 15/30/45/60 min of the T-GCN row (arXiv:1811.05320,
# Table 1) and the A3T-GCN row (arXiv:2006.11583, Table 1) as recalled; the
# 15-min T-GCN value matches the "about 5.13" and REFERENCES.md, the
# other cells could not be checked against the tables (see BENCHMARKS.md).
TGCN = {15: 5.1264, 30: 6.0598, 45: 6.7065, 60: 7.2677}
A3TGCN = {15: 5.0904, 30: 5.9974, 45: 6.6840, 60: 7.0990}
TARGET_CUT = 0.10  # the target: RMSE >= 10% below both rows


def main() -> None:
    """Run the protocol and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Settings().data)
    parser.add_argument("--no-gbm", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}, {load()} at start")
    series = series_from_los_loop(
        load_los_loop(directory=args.data / "traffic/los_loop")
    )
    report, model = evaluate_traffic(
        series, include_gbm=not args.no_gbm, progress=print
    )
    print(
        f"chosen on the validation tail: {report.chosen}; train {report.train_s:.0f} s"
    )
    header = f"{'model':22s}" + "".join(f"{m:>16d}" for m in (15, 30, 45, 60))
    print(header + "   (RMSE / MAE, mph)")
    for name, rows in report.metrics.items():
        cells = "".join(f"{v['rmse']:8.3f}/{v['mae']:6.3f} " for v in rows.values())
        print(f"{name:22s}{cells}")
    best = report.metrics[report.best]
    base = report.metrics.get("gradient_boosting", report.metrics["graph_ridge"])
    for m in (15, 30, 45, 60):
        ref = min(TGCN[m], A3TGCN[m])
        which = "A3T-GCN" if A3TGCN[m] <= TGCN[m] else "T-GCN"
        need = (1 - TARGET_CUT) * ref
        verdict = "met" if best[m]["rmse"] <= need else "missed"
        print(
            f"{m} min: kiwerk {best[m]['rmse']:.3f} vs {which} {ref:.3f} (binding) "
            f"({100 * (1 - best[m]['rmse'] / ref):+.1f}% lower; target <= "
            f"{need:.3f}: {verdict})"
        )
    graph = load_metr_la_graph(directory=args.data / "traffic/metr_la_graph")
    _, test, _ = split_origins(len(series.speed), input_steps=12, horizon=12)
    origin = int(test[len(test) // 2])
    forecast = model.predict(series, test[len(test) // 2 : len(test) // 2 + 1])[0]
    draw_sensor_map(
        RESULTS / "traffic_map.png",
        graph.locations,
        forecast[:, 2],
        series.speed[origin + 2],
        adjacency=series.adjacency,
        title=f"Los-loop, 15 min ahead of {series.times[origin]}",
    )
    worst = int(abs(forecast[:, 2] - series.speed[origin + 2]).argmax())
    why = explain_forecast(model, series, origin=origin, sensor=worst, step=3)
    print(
        f"explained: sensor {why.sensor} at {why.time}: forecast {why.forecast:.1f}, "
        f"actual {why.actual:.1f}; top drivers:\n{why.drivers.head(5)}"
    )
    figures = {
        "dataset": "los_loop",
        "horizons": {
            str(m): {
                "rmse": best[m]["rmse"],
                "mae": best[m]["mae"],
                "accuracy": best[m]["accuracy"],
                "r2": best[m]["r2"],
                "tgcn_rmse": TGCN[m],
                "a3tgcn_rmse": A3TGCN[m],
                "target_rmse": (1 - TARGET_CUT) * min(TGCN[m], A3TGCN[m]),
                "baseline_rmse": base[m]["rmse"],
                "persistence_rmse": report.metrics["persistence"][m]["rmse"],
                "ha_rmse": report.metrics["historical_average"][m]["rmse"],
                "ridge_rmse": report.metrics["graph_ridge"][m]["rmse"],
                "gnn_rmse": report.metrics.get(GraphDiffusionNet.name, {})
                .get(m, {})
                .get("rmse", float("nan")),
            }
            for m in (15, 30, 45, 60)
        },
        "train_s": report.train_s,
        "chosen": report.chosen,
    }
    print(write_result("traffic", figures))


if __name__ == "__main__":
    main()
