"""Routing benchmark: CVRPLIB X and Solomon gaps (PyVRP vs OR-Tools), Aachen demo.

Usage::

    python benchmarks/vrp.py [--limit 3] [--instances X-n101-k25 ...]
        [--time-factor 1.0] [--solomon C101 R101 RC101] [--solomon-seconds 30]

Set X runs at ``time_factor · 2.4 · n`` seconds per instance (PyVRP's
benchmark budget, reference CPU PassMark 2183); PyVRP runs two seeds in
parallel (both cores), OR-Tools (guided local search) gets the same wall time
on one core in the same run. The Aachen scenario (200 parcels at real OSM
addresses, 2 hubs, 10 vehicles, time windows, battery range) is solved and
drawn (PNG and offline HTML). Writes benchmarks/results/vrp.json.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks._common import RESULTS, load, machine, write_result
from kiwerk.datasets import load_cvrplib_x, load_solomon
from kiwerk.domains.mobility import (
    FleetParams,
    Hub,
    Order,
    StreetGraph,
    build_street_graph,
    draw_tours_html,
    draw_tours_png,
    plan_routes,
    solve_ortools,
    solve_pyvrp_parallel,
)
from kiwerk.settings import Settings

DEFAULT_X = ("X-n101-k25", "X-n106-k14", "X-n110-k13")


def aachen_orders(graph: StreetGraph, n: int = 200, seed: int = 0) -> list[Order]:
    """``n`` parcels at real address nodes; a third with 2-hour windows."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(graph.addresses), size=n, replace=False)
    orders = []
    for k, i in enumerate(picks):
        lat, lon, _ = graph.addresses[int(i)]
        early, late = 8 * 3600, 18 * 3600
        if k % 3 == 0:
            early = int(rng.choice([9, 11, 13, 15])) * 3600
            late = early + 2 * 3600
        orders.append(
            Order(
                id=f"P{k:03d}",
                lat=lat,
                lon=lon,
                demand=int(rng.integers(1, 4)),
                tw_early=early,
                tw_late=late,
            )
        )
    return orders


def run_aachen(data: Path, seconds: float) -> dict[str, float]:
    """Solve and draw the Aachen scenario; return its figures."""
    begin = time.perf_counter()
    graph = build_street_graph(data / "osm/aachen/aachen.osm.pbf")
    graph_s = time.perf_counter() - begin
    hubs = [Hub("Hub West (Melaten)", 50.7780, 6.0600), Hub("Hub Ost", 50.7700, 6.1100)]
    params = FleetParams(
        vehicles_per_hub=5, capacity=60, range_m=60_000, seconds=seconds
    )
    begin = time.perf_counter()
    plan = plan_routes(graph, hubs, aachen_orders(graph), params)
    total_s = time.perf_counter() - begin
    title = (
        f"Aachen: {plan.served}/200 parcels, {len(plan.tours)} vehicles, "
        f"{plan.distance_m / 1000:.1f} km"
    )
    draw_tours_png(graph, plan, RESULTS / "vrp_aachen.png", title)
    draw_tours_html(graph, plan, RESULTS / "vrp_aachen.html", title)
    print(
        f"Aachen: graph {graph.n_nodes} nodes in {graph_s:.1f}s; {title}; "
        f"solver {plan.solve_s:.1f}s, matrices+solve {total_s:.1f}s, "
        f"feasible={plan.feasible}, unserved={len(plan.unserved)}"
    )
    return {
        "aachen_served": plan.served,
        "aachen_km": plan.distance_m / 1000,
        "aachen_solve_s": plan.solve_s,
        "aachen_total_s": total_s,
        "aachen_vehicles_used": len(plan.tours),
    }


def main() -> None:
    """Run the subsets, print the table, write results/vrp.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Settings().data)
    parser.add_argument("--instances", nargs="*", default=None)
    parser.add_argument("--limit", type=int, default=len(DEFAULT_X))
    parser.add_argument("--time-factor", type=float, default=1.0)
    parser.add_argument("--solomon", nargs="*", default=["C101", "R101", "RC101"])
    parser.add_argument("--solomon-seconds", type=float, default=30.0)
    parser.add_argument("--aachen-seconds", type=float, default=20.0)
    parser.add_argument(
        "--name",
        default="vrp",
        help="results/<name>.json (e.g. vrp_sample for a spread sample of X)",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}, {load()} at start")
    names = (args.instances or list(DEFAULT_X))[: args.limit]
    xs = load_cvrplib_x(directory=args.data / "vrp/cvrplib_x", names=names)
    ours, theirs = [], []
    for inst in xs:
        seconds = args.time_factor * 2.4 * inst.n_customers
        a = solve_pyvrp_parallel(inst, seconds, seeds=(0, 1))
        b = solve_ortools(inst, seconds)
        ours.append(a.gap_pct)
        theirs.append(b.gap_pct)
        print(
            f"{inst.name:14s} {seconds:6.0f}s  BKS {inst.bks_cost:9.0f}  "
            f"PyVRP {a.cost:9.0f} ({a.gap_pct:5.2f}%)  OR-Tools {b.cost:9.0f} "
            f"({b.gap_pct:5.2f}%)"
        )
    sol = load_solomon(directory=args.data / "vrp/solomon", names=args.solomon)
    solomon = []
    for inst in sol:
        r = solve_pyvrp_parallel(inst, args.solomon_seconds, seeds=(0, 1))
        solomon.append(r.gap_pct)
        print(
            f"{inst.name:8s} {args.solomon_seconds:4.0f}s BKS {inst.bks_cost:8.1f} "
            f"PyVRP {r.cost:8.1f} ({r.gap_pct:5.2f}%) feasible={r.feasible}"
        )
    figures = {
        "avg_gap_pct": float(np.mean(ours)),
        "ortools_avg_gap_pct": float(np.mean(theirs)),
        "ortools_over_ours": float(np.mean(theirs)) / max(float(np.mean(ours)), 1e-9),
        "solomon_avg_gap_pct": float(np.mean(solomon)) if solomon else None,
        "x_instances": names,
        "x_gaps_pct": {x.name: g for x, g in zip(xs, ours, strict=True)},
        "ortools_x_gaps_pct": {x.name: g for x, g in zip(xs, theirs, strict=True)},
        "solomon_instances": list(args.solomon),
        "time_factor": args.time_factor,
        **run_aachen(args.data, args.aachen_seconds),
    }
    print(
        f"X avg gap: PyVRP {figures['avg_gap_pct']:.2f}%  OR-Tools "
        f"{figures['ortools_avg_gap_pct']:.2f}% (ratio "
        f"{figures['ortools_over_ours']:.1f}x); Solomon avg gap "
        + (f"{np.mean(solomon):.2f}%" if solomon else "not run")
    )
    print(write_result(args.name, figures))


if __name__ == "__main__":
    main()
