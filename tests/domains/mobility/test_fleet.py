"""Fleet routing on a small synthetic street grid: rules, bad input, re-planning."""

from __future__ import annotations

import numpy as np
import pytest

from kiwerk.domains.mobility._fleet import FleetParams, Hub, Order
from kiwerk.domains.mobility._fleet_solve import plan_routes, replan
from kiwerk.domains.mobility._streets import (
    StreetGraph,
    _assemble,
    oneway_direction,
    way_allowed,
    way_speed_kmh,
)
from kiwerk.errors import DataError

# 6 x 6 grid of two-way streets, ~110 m apart, around Aachen's centre.
LAT0, LON0, STEP = 50.770, 6.080, 0.001


def _grid() -> StreetGraph:
    coords = {}
    edges = []
    for i in range(6):
        for j in range(6):
            coords[i * 6 + j] = (LAT0 + i * STEP, LON0 + j * STEP * 1.5)
            for di, dj in ((0, 1), (1, 0)):
                if i + di < 6 and j + dj < 6:
                    a, b = i * 6 + j, (i + di) * 6 + j + dj
                    edges += [(a, b, 25.0), (b, a, 25.0)]
    return _assemble(coords, edges, [])


@pytest.mark.parametrize(
    ("tags", "allowed"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "footway"}, False),  # no vehicles on footways
        ({"highway": "pedestrian"}, False),  # pedestrian zone, no delivery tag
        ({"highway": "pedestrian", "delivery": "yes"}, True),  # delivery allowed
        ({"highway": "motorway"}, False),  # small vehicles stay off motorways
        ({"highway": "service", "access": "private"}, False),
    ],
)
def test_way_rules_for_small_delivery_vehicles(
    tags: dict[str, str], allowed: bool
) -> None:
    """Pedestrian zones, footways, motorways and private roads are off limits."""
    assert way_allowed(tags) is allowed


def test_oneway_and_speed_tags() -> None:
    """One-way, roundabout and maxspeed tags are read as OSM defines them."""
    assert oneway_direction({"oneway": "yes"}) == 1
    assert oneway_direction({"oneway": "-1"}) == -1
    assert oneway_direction({"junction": "roundabout"}) == 1
    assert oneway_direction({}) == 0
    assert way_speed_kmh({"maxspeed": "30"}) == 30.0
    assert way_speed_kmh({"highway": "living_street"}) == 7.0


def test_one_way_street_is_directed() -> None:
    """A one-way edge is traversable forward only."""
    graph = _assemble(
        {1: (50.0, 6.0), 2: (50.001, 6.0), 3: (50.0005, 6.001)},
        [(1, 2, 20.0), (2, 3, 20.0), (3, 1, 20.0)],
        [],
    )
    matrix = graph.matrix("length_m").toarray()  # type: ignore[attr-defined]
    assert (matrix > 0).sum() == 3
    assert matrix[1, 0] == 0


def _orders(n: int) -> list[Order]:
    rng = np.random.default_rng(1)
    return [
        Order(
            id=f"o{k}",
            lat=LAT0 + float(rng.integers(0, 6)) * STEP,
            lon=LON0 + float(rng.integers(0, 6)) * STEP * 1.5,
            demand=int(rng.integers(1, 4)),
        )
        for k in range(n)
    ]


PARAMS = FleetParams(vehicles_per_hub=2, capacity=12, range_m=20_000, seconds=0.5)
HUBS = [Hub("a", LAT0, LON0), Hub("b", LAT0 + 5 * STEP, LON0 + 7.5 * STEP)]


def test_plan_serves_good_orders_and_explains_bad_ones() -> None:
    """Bad orders are named with a reason; the others are planned in capacity."""
    orders = [
        *_orders(15),
        Order(id="far", lat=51.5, lon=7.0),
        Order(id="huge", lat=LAT0, lon=LON0, demand=99),
        Order(id="late", lat=LAT0, lon=LON0, tw_early=40_000, tw_late=30_000),
        Order(id="closed", lat=LAT0, lon=LON0, tw_early=0, tw_late=3_600),
    ]
    plan = plan_routes(_grid(), HUBS, orders, PARAMS)
    assert set(plan.unserved) == {"far", "huge", "late", "closed"}
    assert "outside the street network" in plan.unserved["far"]
    assert "capacity" in plan.unserved["huge"]
    assert plan.served == 15
    demand = {o.id: o.demand for o in orders}
    for tour in plan.tours:
        assert sum(demand[s.order] for s in tour.stops) <= PARAMS.capacity
        assert tour.distance_m <= PARAMS.range_m
    visited = [s.order for t in plan.tours for s in t.stops]
    assert len(visited) == len(set(visited))


def test_hub_outside_network_is_refused() -> None:
    """A hub far from every street raises a DataError naming it."""
    with pytest.raises(DataError, match="nowhere"):
        plan_routes(_grid(), [Hub("nowhere", 52.0, 7.0)], _orders(2), PARAMS)


def test_replan_keeps_done_stops_and_adds_new_order() -> None:
    """Mid-day re-planning serves the new order and never repeats a delivery."""
    orders = _orders(12)
    plan = plan_routes(_grid(), HUBS, orders, PARAMS)
    cut = sorted(s.arrival_s for t in plan.tours for s in t.stops)[4]
    new = Order(id="new", lat=LAT0 + 2 * STEP, lon=LON0 + 3 * STEP)
    dropped = frozenset({plan.tours[0].vehicle})
    later = replan(
        _grid(),
        HUBS,
        orders,
        plan,
        PARAMS,
        at_s=cut,
        new_orders=[new],
        dropped_vehicles=dropped,
    )
    done = {s.order for t in plan.tours for s in t.stops if s.arrival_s < cut}
    visited = {s.order for t in later.tours for s in t.stops}
    assert "new" in visited
    assert not visited & done
    assert visited | done == {o.id for o in orders} | {"new"}
    assert all(t.vehicle not in dropped for t in later.tours)
