"""Bounded runs on the real data (slow): X instance, Solomon, Aachen, cologne1."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiwerk.datasets import load_cvrplib_x, load_resco, load_solomon
from kiwerk.domains.mobility import (
    FleetParams,
    Hub,
    Order,
    build_street_graph,
    plan_routes,
    run_episode,
    solve_ortools,
    solve_pyvrp,
)

pytestmark = pytest.mark.slow


def test_pyvrp_is_close_to_bks_on_x_and_solomon(data_dir: Path) -> None:
    """10 s of PyVRP: X-n101-k25 within 3% and R101 within 2% of the BKS."""
    (x,) = load_cvrplib_x(directory=data_dir / "vrp/cvrplib_x", names=["X-n101-k25"])
    (r,) = load_solomon(directory=data_dir / "vrp/solomon", names=["R101"])
    assert solve_pyvrp(x, 10).gap_pct < 3.0
    assert solve_pyvrp(r, 10).gap_pct < 2.0
    assert solve_ortools(x, 5).feasible


def test_aachen_graph_routes_real_addresses(data_dir: Path) -> None:
    """The Aachen graph is large and connected; 30 parcels get planned."""
    graph = build_street_graph(data_dir / "osm/aachen/aachen.osm.pbf")
    assert graph.n_nodes > 15_000
    orders = [
        Order(id=f"p{k}", lat=lat, lon=lon)
        for k, (lat, lon, _) in enumerate(graph.addresses[::80][:30])
    ]
    plan = plan_routes(
        graph, [Hub("hbf", 50.7678, 6.0913)], orders, FleetParams(seconds=3)
    )
    assert plan.served + len(plan.unserved) == 30
    assert plan.served >= 25


def test_adaptive_beats_fixed_on_cologne1(data_dir: Path) -> None:
    """A full RESCO episode on cologne1: kiwerk's controller below fixed time."""
    scenario = load_resco(directory=data_dir / "sumo/resco")["cologne1"]
    fixed = run_episode(scenario, "fixed").delay_s
    assert run_episode(scenario, "adaptive").delay_s < fixed
