"""Delivery-fleet tours on real streets with PyVRP, and mid-day re-planning.

Orders and hubs are snapped to the street graph; travel times and distances
come from shortest paths on it. Orders that cannot be served (outside the
network, demand above every capacity, an empty or unreachable time window,
out of battery range) are reported with the reason and left out; the rest is
planned. Orders the solver still cannot fit are optional with a large prize,
so a partial plan always comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kiwerk.domains.mobility._streets import StreetGraph

_PRIZE = 10_000_000  # metres: worth far more than any detour


@dataclass(frozen=True)
class Order:
    """One parcel to deliver.

    Attributes
    ----------
    id
        The caller's order id (used in every message).
    lat, lon
        Delivery location (WGS84).
    demand
        Capacity units it takes.
    tw_early, tw_late
        Delivery window, seconds after midnight.
    service_s
        Time spent at the stop.
    """

    id: str
    lat: float
    lon: float
    demand: int = 1
    tw_early: int = 0
    tw_late: int = 86_400
    service_s: int = 120


@dataclass(frozen=True)
class Hub:
    """A depot the vehicles start from and return to."""

    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class FleetParams:
    """Fleet and solver settings.

    Attributes
    ----------
    vehicles_per_hub
        Vehicles based at each hub.
    capacity
        Capacity units per vehicle.
    range_m
        Battery range per tour in metres.
    shift
        Working hours (seconds after midnight).
    seconds
        Solver time limit.
    max_snap_m
        Farthest an order may lie from the street network.
    seed
        Solver seed.
    """

    vehicles_per_hub: int = 5
    capacity: int = 60
    range_m: int = 60_000
    shift: tuple[int, int] = (8 * 3600, 18 * 3600)
    seconds: float = 10.0
    max_snap_m: float = 250.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.vehicles_per_hub < 1 or self.capacity < 1 or self.range_m <= 0:
            raise ValueError("Expected vehicles, capacity and range > 0.")
        if self.shift[1] <= self.shift[0] or self.seconds <= 0:
            raise ValueError("Expected a non-empty shift and seconds > 0.")


@dataclass(frozen=True)
class Stop:
    """A delivery in a tour: the order and when the vehicle arrives."""

    order: str
    node: int
    arrival_s: int


@dataclass(frozen=True)
class Tour:
    """One vehicle's tour from its hub and back."""

    vehicle: int
    hub: str
    stops: tuple[Stop, ...]
    distance_m: int
    start_s: int
    end_s: int


@dataclass(frozen=True)
class FleetPlan:
    """Tours, what they cost, and the orders left out with the reason."""

    tours: tuple[Tour, ...]
    unserved: dict[str, str]
    distance_m: int
    feasible: bool
    solve_s: float
    nodes: dict[str, int] = field(default_factory=dict)

    @property
    def served(self) -> int:
        """Number of orders in some tour."""
        return sum(len(t.stops) for t in self.tours)


def snap(
    graph: StreetGraph, lat: np.ndarray, lon: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest graph node of each point and its distance in metres."""
    from scipy.spatial import cKDTree

    ref = np.radians(float(np.mean(graph.lat)))
    scale = np.array([111_320.0 * np.cos(ref), 110_540.0])
    tree = cKDTree(np.column_stack([graph.lon, graph.lat]) * scale)
    dist, idx = tree.query(np.column_stack([lon, lat]) * scale)
    return np.asarray(idx, dtype=np.int64), np.asarray(dist)


def travel_matrices(
    graph: StreetGraph, nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(k, k)`` fastest travel times (s) and shortest distances (m) between nodes.

    Distances are the shortest paths by length, times the fastest paths; the
    two can differ slightly (a faster detour), which only matters for range.
    """
    from scipy.sparse.csgraph import dijkstra

    times = dijkstra(graph.matrix("time_s"), indices=nodes)
    lengths = dijkstra(graph.matrix("length_m"), indices=nodes)
    return np.asarray(times[:, nodes]), np.asarray(lengths[:, nodes])


def screen_orders(
    orders: list[Order],
    snap_m: np.ndarray,
    hub_time: np.ndarray,
    hub_length: np.ndarray,
    params: FleetParams,
) -> dict[str, str]:
    """Reasons orders cannot be served, by order id (empty when all can).

    ``hub_time``/``hub_length`` are ``(hubs, orders)`` one-way figures from
    each hub; round trips use the same matrix transposed by the caller.
    """
    reasons: dict[str, str] = {}
    start, end = params.shift
    for k, order in enumerate(orders):
        if snap_m[k] > params.max_snap_m:
            reasons[order.id] = (
                f"outside the street network: {snap_m[k]:.0f} m from the nearest "
                f"drivable street (limit {params.max_snap_m:.0f} m)"
            )
        elif order.demand > params.capacity:
            reasons[order.id] = (
                f"demand {order.demand} exceeds every vehicle's capacity "
                f"{params.capacity}"
            )
        elif order.tw_late < order.tw_early:
            reasons[order.id] = (
                f"time window ends ({order.tw_late}s) before it starts "
                f"({order.tw_early}s)"
            )
        elif not np.isfinite(hub_time[:, k]).any():
            reasons[order.id] = "unreachable from every hub on the street network"
        elif start + float(np.nanmin(hub_time[:, k])) > min(order.tw_late, end):
            reasons[order.id] = (
                "time window closes before any vehicle can arrive "
                f"(earliest arrival {start + float(np.nanmin(hub_time[:, k])):.0f}s)"
            )
        elif float(np.nanmin(hub_length[:, k])) * 2 > params.range_m:
            reasons[order.id] = (
                f"round trip {2 * float(np.nanmin(hub_length[:, k])):.0f} m exceeds "
                f"the battery range {params.range_m} m"
            )
    return reasons
