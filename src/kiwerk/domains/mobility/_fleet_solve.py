"""Solve a fleet problem with PyVRP; re-plan mid-day from the current plan."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from kiwerk.domains.mobility._fleet import (
    _PRIZE,
    FleetParams,
    FleetPlan,
    Hub,
    Order,
    Stop,
    Tour,
    screen_orders,
    snap,
    travel_matrices,
)
from kiwerk.domains.mobility._streets import StreetGraph
from kiwerk.errors import DataError


@dataclass(frozen=True)
class _Start:
    """Where a vehicle (re)starts: a node, earliest time, range and room left."""

    vehicle: int
    hub: int
    node: int
    ready_s: int
    range_m: int
    capacity: int


def plan_routes(
    graph: StreetGraph,
    hubs: list[Hub],
    orders: list[Order],
    params: FleetParams,
    *,
    starts: list[_Start] | None = None,
    warm: dict[int, list[str]] | None = None,
) -> FleetPlan:
    """Plan tours for ``orders`` from ``hubs`` on ``graph``.

    ``starts`` (for re-planning) puts each vehicle at a node, time, remaining
    range and capacity; by default all vehicles wait at their hub at shift
    start. ``warm`` maps vehicle → order ids of an earlier plan, used as the
    solver's initial solution.

    Raises
    ------
    DataError
        A hub lies outside the street network, or no hub is given.
    """
    if not hubs:
        raise DataError("no hub given", field="hubs")
    ids = [o.id for o in orders]
    if len(set(ids)) != len(ids):
        raise DataError("order ids are not unique", field="id")
    hub_nodes, hub_snap = snap(
        graph, np.array([h.lat for h in hubs]), np.array([h.lon for h in hubs])
    )
    for hub, gap in zip(hubs, hub_snap, strict=True):
        if gap > params.max_snap_m:
            raise DataError(
                f"hub {hub.name!r} is {gap:.0f} m from the street network", field="hubs"
            )
    order_nodes, order_snap = snap(
        graph, np.array([o.lat for o in orders]), np.array([o.lon for o in orders])
    )
    if starts is None:
        starts = [
            _Start(
                v,
                h,
                int(hub_nodes[h]),
                params.shift[0],
                params.range_m,
                params.capacity,
            )
            for h in range(len(hubs))
            for v in [
                h * params.vehicles_per_hub + i for i in range(params.vehicles_per_hub)
            ]
        ]
    start_nodes = np.array([s.node for s in starts], dtype=np.int64)
    nodes = np.concatenate([hub_nodes, start_nodes, order_nodes])
    times, lengths = travel_matrices(graph, nodes)
    n_hub, n_start = len(hubs), len(starts)
    first = n_hub + n_start
    reasons = screen_orders(
        orders,
        order_snap,
        times[:n_hub, first:],
        lengths[:n_hub, first:],
        params,
    )
    keep = [k for k, o in enumerate(orders) if o.id not in reasons]
    began = time.perf_counter()
    tours, dropped, feasible, cost = _solve(
        times,
        lengths,
        hubs,
        starts,
        [orders[k] for k in keep],
        [first + k for k in keep],
        params,
        warm or {},
    )
    for order_id in dropped:
        reasons[order_id] = "no tour within capacity, time windows and range fits it"
    node_of = {o.id: int(order_nodes[k]) for k, o in enumerate(orders)}
    tours = tuple(
        replace(t, stops=tuple(replace(s, node=node_of[s.order]) for s in t.stops))
        for t in tours
    )
    node_of.update({h.name: int(hub_nodes[i]) for i, h in enumerate(hubs)})
    return FleetPlan(
        tours=tours,
        unserved=reasons,
        distance_m=cost,
        feasible=feasible,
        solve_s=time.perf_counter() - began,
        nodes=node_of,
    )


def _solve(
    times: np.ndarray,
    lengths: np.ndarray,
    hubs: list[Hub],
    starts: list[_Start],
    orders: list[Order],
    rows: list[int],
    params: FleetParams,
    warm: dict[int, list[str]],
) -> tuple[tuple[Tour, ...], list[str], bool, int]:
    from pyvrp import Model, Route, Solution
    from pyvrp.stop import MaxRuntime

    model = Model()
    end_shift = params.shift[1]
    hub_depots = [
        model.add_depot(
            model.add_location(x=0, y=0),
            tw_early=params.shift[0],
            tw_late=end_shift,
            name=h.name,
        )
        for h in hubs
    ]
    start_depots = [
        model.add_depot(
            model.add_location(x=0, y=0), tw_early=s.ready_s, tw_late=end_shift
        )
        for s in starts
    ]
    for s, depot in zip(starts, start_depots, strict=True):
        model.add_vehicle_type(
            capacity=max(s.capacity, 0),
            start_depot=depot,
            end_depot=hub_depots[s.hub],
            tw_early=s.ready_s,
            tw_late=end_shift,
            max_distance=max(s.range_m, 0),
            name=str(s.vehicle),
        )
    for order in orders:
        model.add_client(
            model.add_location(x=0, y=0),
            delivery=order.demand,
            service_duration=order.service_s,
            tw_early=order.tw_early,
            tw_late=order.tw_late,
            prize=_PRIZE,
            required=False,
            name=order.id,
        )
    index = list(range(len(hubs))) + [len(hubs) + i for i in range(len(starts))] + rows
    locs = model.locations
    for a, frm in enumerate(locs):
        for b, to in enumerate(locs):
            t, d = times[index[a], index[b]], lengths[index[a], index[b]]
            if a != b and np.isfinite(t):
                model.add_edge(
                    frm, to, distance=int(np.rint(d)), duration=int(np.rint(t))
                )
    data = model.data()
    initial = None
    if warm:
        client_of = {o.id: i for i, o in enumerate(orders)}
        routes = [
            Route(data, [client_of[o] for o in visits if o in client_of], vt)
            for vt, s in enumerate(starts)
            if (visits := warm.get(s.vehicle)) and any(o in client_of for o in visits)
        ]
        initial = Solution(data, routes)
    result = model.solve(
        MaxRuntime(params.seconds),
        seed=params.seed,
        display=False,
        initial_solution=initial,
    )
    best = result.best
    tours = []
    served: set[str] = set()
    for route in best.routes():
        s = starts[route.vehicle_type()]
        stops = []
        for activity in route.schedule():
            if not activity.is_client():
                continue
            order = orders[int(activity.idx)]
            stops.append(
                Stop(order=order.id, node=-1, arrival_s=int(activity.start_time))
            )
            served.add(order.id)
        tours.append(
            Tour(
                vehicle=s.vehicle,
                hub=hubs[s.hub].name,
                stops=tuple(stops),
                distance_m=int(route.distance()),
                start_s=int(route.start_time()),
                end_s=int(route.end_time()),
            )
        )
    dropped = [o.id for o in orders if o.id not in served]
    return tuple(tours), dropped, bool(best.is_feasible()), int(best.distance())


def replan(
    graph: StreetGraph,
    hubs: list[Hub],
    orders: list[Order],
    plan: FleetPlan,
    params: FleetParams,
    *,
    at_s: int,
    new_orders: list[Order] = (),  # type: ignore[assignment]
    dropped_vehicles: frozenset[int] = frozenset(),
) -> FleetPlan:
    """Re-plan at time ``at_s``: new orders arrive, vehicles drop out.

    Deliveries already made (arrival before ``at_s``) stay done. Each running
    vehicle restarts at its last delivery with the range and capacity it has
    left; a dropped vehicle's open orders go back into the pool (its parcels
    are assumed handed over at the hub). The old plan's remaining sequences
    are the warm start.
    """
    done: set[str] = set()
    starts: list[_Start] = []
    warm: dict[int, list[str]] = {}
    hub_index = {h.name: i for i, h in enumerate(hubs)}
    demand = {o.id: o.demand for o in [*orders, *new_orders]}
    for tour in plan.tours:
        made = [s for s in tour.stops if s.arrival_s < at_s]
        done.update(s.order for s in made)
        if tour.vehicle in dropped_vehicles:
            continue
        node = made[-1].node if made else plan.nodes[tour.hub]
        used = int(tour.distance_m * len(made) / max(len(tour.stops), 1))
        starts.append(
            _Start(
                vehicle=tour.vehicle,
                hub=hub_index[tour.hub],
                node=node,
                ready_s=max(at_s, tour.start_s),
                range_m=params.range_m - used,
                capacity=params.capacity - sum(demand[s.order] for s in made),
            )
        )
        warm[tour.vehicle] = [s.order for s in tour.stops if s.arrival_s >= at_s]
    idle = {t.vehicle for t in plan.tours} | set(dropped_vehicles)
    for h in range(len(hubs)):
        for v in range(h * params.vehicles_per_hub, (h + 1) * params.vehicles_per_hub):
            if v not in idle:
                node = plan.nodes[hubs[h].name]
                starts.append(_Start(v, h, node, at_s, params.range_m, params.capacity))
    open_orders = [o for o in [*orders, *new_orders] if o.id not in done]
    later = replace(params, shift=(max(params.shift[0], at_s), params.shift[1]))
    return plan_routes(graph, hubs, open_orders, later, starts=starts, warm=warm)
