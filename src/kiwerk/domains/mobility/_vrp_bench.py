"""Benchmark instances (CVRPLIB X, Solomon) solved with PyVRP and OR-Tools.

Distances follow each set's convention: set X rounds Euclidean distances to
the nearest integer; Solomon (DIMACS convention, the BKS in ``bks.csv``)
truncates them to one decimal, so we work in tenths and divide by 10. The
objective is total distance (no vehicle-count term).
"""

from __future__ import annotations

import math
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from kiwerk.datasets import VrpInstance


def distance_matrix(instance: VrpInstance) -> tuple[np.ndarray, int]:
    """Integer distance matrix and its scale (1 for X, 10 for Solomon)."""
    diff = instance.coords[:, None, :] - instance.coords[None, :, :]
    euclid = np.sqrt((diff**2).sum(axis=2))
    if instance.time_windows is not None:
        return np.floor(10 * euclid + 1e-9).astype(np.int64), 10
    return np.rint(euclid).astype(np.int64), 1


def fleet_size(instance: VrpInstance) -> int:
    """Vehicles to offer: the instance's own count, else generous for set X."""
    if instance.vehicles is not None:
        return instance.vehicles
    match = re.search(r"-k(\d+)", instance.name)
    lower = (
        int(match.group(1))
        if match
        else math.ceil(instance.demands.sum() / instance.capacity)
    )
    return int(lower * 1.5) + 2


@dataclass(frozen=True)
class BenchResult:
    """One instance solved by one solver.

    Attributes
    ----------
    instance, solver
        Names.
    cost
        Total distance in the instance's convention.
    bks
        Best-known cost.
    seconds
        Time limit used.
    feasible
        Whether the solution respects all constraints.
    """

    instance: str
    solver: str
    cost: float
    bks: float
    seconds: float
    feasible: bool

    @property
    def gap_pct(self) -> float:
        """Gap to the best-known solution in percent."""
        return 100.0 * (self.cost - self.bks) / self.bks


def _pyvrp_data(instance: VrpInstance) -> tuple[object, int]:
    from pyvrp import Model

    dist, scale = distance_matrix(instance)
    model = Model()
    tw = instance.time_windows
    service = instance.service_times
    depot = model.add_depot(
        model.add_location(x=0, y=0),
        tw_early=int(tw[0, 0] * scale) if tw is not None else 0,
        tw_late=int(tw[0, 1] * scale) if tw is not None else 2**62,
    )
    model.add_vehicle_type(
        num_available=fleet_size(instance),
        capacity=int(instance.capacity),
        start_depot=depot,
        end_depot=depot,
        tw_early=int(tw[0, 0] * scale) if tw is not None else 0,
        tw_late=int(tw[0, 1] * scale) if tw is not None else 2**62,
    )
    for i in range(1, instance.n_customers + 1):
        model.add_client(
            model.add_location(x=0, y=0),
            delivery=int(instance.demands[i]),
            service_duration=int(service[i] * scale) if service is not None else 0,
            tw_early=int(tw[i, 0] * scale) if tw is not None else 0,
            tw_late=int(tw[i, 1] * scale) if tw is not None else 2**62,
        )
    locations = model.locations
    for a, frm in enumerate(locations):
        for b, to in enumerate(locations):
            if a != b:
                d = int(dist[a, b])
                model.add_edge(frm, to, distance=d, duration=d)
    return model.data(), scale


def solve_pyvrp(instance: VrpInstance, seconds: float, seed: int = 0) -> BenchResult:
    """PyVRP (iterated local search) for ``seconds`` on one core."""
    from pyvrp import solve
    from pyvrp.stop import MaxRuntime

    data, scale = _pyvrp_data(instance)
    result = solve(data, MaxRuntime(seconds), seed=seed, display=False)  # type: ignore[arg-type]
    return BenchResult(
        instance=instance.name,
        solver=f"pyvrp(seed={seed})",
        cost=float(result.best.distance()) / scale,
        bks=instance.bks_cost,
        seconds=seconds,
        feasible=bool(result.best.is_feasible()),
    )


def solve_pyvrp_parallel(
    instance: VrpInstance, seconds: float, seeds: tuple[int, ...] = (0, 1)
) -> BenchResult:
    """Run one PyVRP search per seed in parallel processes; keep the best."""
    if len(seeds) == 1:
        return solve_pyvrp(instance, seconds, seeds[0])
    with ProcessPoolExecutor(max_workers=len(seeds)) as pool:
        futures = [pool.submit(solve_pyvrp, instance, seconds, s) for s in seeds]
        results = [f.result() for f in futures]
    feasible = [r for r in results if r.feasible] or results
    best = min(feasible, key=lambda r: r.cost)
    return BenchResult(
        instance=best.instance,
        solver=f"pyvrp(best of seeds {list(seeds)})",
        cost=best.cost,
        bks=best.bks,
        seconds=seconds,
        feasible=best.feasible,
    )


def solve_ortools(instance: VrpInstance, seconds: float) -> BenchResult:
    """OR-Tools routing (guided local search) for ``seconds``, one core."""
    from ortools.constraint_solver import (  # type: ignore[import-untyped]
        pywrapcp,
        routing_enums_pb2,
    )

    dist, scale = distance_matrix(instance)
    n = len(dist)
    vehicles = fleet_size(instance)
    manager = pywrapcp.RoutingIndexManager(n, vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    service = instance.service_times

    def arc(i: int, j: int) -> int:
        return int(dist[manager.IndexToNode(i), manager.IndexToNode(j)])

    def travel(i: int, j: int) -> int:
        a = manager.IndexToNode(i)
        extra = int(service[a] * scale) if service is not None else 0
        return int(dist[a, manager.IndexToNode(j)]) + extra

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc))
    demand = routing.RegisterUnaryTransitCallback(
        lambda i: int(instance.demands[manager.IndexToNode(i)])
    )
    routing.AddDimensionWithVehicleCapacity(
        demand, 0, [int(instance.capacity)] * vehicles, True, "load"
    )
    tw = instance.time_windows
    if tw is not None:
        horizon = int(tw[0, 1] * scale)
        routing.AddDimension(
            routing.RegisterTransitCallback(travel), horizon, horizon, False, "time"
        )
        time_dim = routing.GetDimensionOrDie("time")
        for node in range(1, n):
            index = manager.NodeToIndex(node)
            time_dim.CumulVar(index).SetRange(
                int(tw[node, 0] * scale), int(tw[node, 1] * scale)
            )
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    )
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    search.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = routing.SolveWithParameters(search)
    cost = float(solution.ObjectiveValue()) / scale if solution else math.inf
    return BenchResult(
        instance=instance.name,
        solver="ortools",
        cost=cost,
        bks=instance.bks_cost,
        seconds=seconds,
        feasible=solution is not None,
    )
