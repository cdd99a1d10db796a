"""Vehicle-routing benchmarks: CVRPLIB set X and Solomon VRPTW, with BKS.

Instances and solutions are read with ``vrplib`` (the PyVRP authors' reader,
in the ``mobility`` extra). Node indices are 0-based with the depot at 0, so a
route's customer ``c`` is row ``c`` of ``coords`` and ``demands``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kiwerk.errors import ConfigError, DataFormatError, NotFound


@dataclass(frozen=True)
class VrpInstance:
    """One routing instance with its best-known solution (BKS).

    Attributes
    ----------
    name
        Instance name (``X-n101-k25``, ``C101``).
    coords
        ``(n + 1, 2)`` float64 x/y; row 0 is the depot.
    demands
        ``(n + 1,)`` int64; the depot's is 0.
    capacity
        Vehicle capacity.
    edge_weight_type
        ``EUC_2D``. Set X rounds distances to the nearest integer; Solomon
        (DIMACS convention) truncates them to one decimal.
    bks_routes
        The BKS: one tuple of customer indices per route, depot omitted.
    bks_cost
        The BKS's cost (integer for set X, one decimal for Solomon).
    vehicles
        Vehicles available (Solomon: 25), ``None`` when unlimited.
    time_windows
        ``(n + 1, 2)`` float64 earliest/latest start (VRPTW), else ``None``.
    service_times
        ``(n + 1,)`` float64 service durations (VRPTW; the depot's is 0).
    group
        Solomon class (``C1`` … ``RC2``) or ``"X"``.
    """

    name: str
    coords: np.ndarray
    demands: np.ndarray
    capacity: int
    edge_weight_type: str
    bks_routes: tuple[tuple[int, ...], ...]
    bks_cost: float
    vehicles: int | None = None
    time_windows: np.ndarray | None = None
    service_times: np.ndarray | None = None
    group: str = "X"

    @property
    def n_customers(self) -> int:
        """Customers, depot excluded."""
        return int(self.coords.shape[0]) - 1


def _vrplib() -> Any:
    try:
        import vrplib  # optional: the mobility extra
    except ImportError as exc:
        raise ConfigError(
            "reading VRP instances needs the vrplib package: "
            "pip install 'kiwerk[mobility]'"
        ) from exc
    return vrplib


def _read(path: Path, reader: str) -> dict[str, Any]:
    vrplib = _vrplib()
    try:
        if reader == "instance":
            result = vrplib.read_instance(path, compute_edge_weights=False)
        else:
            result = vrplib.read_solution(path)
    except (ValueError, IndexError, KeyError, OSError) as exc:
        raise DataFormatError(
            f"not a VRPLIB {reader}: {exc}", source=str(path)
        ) from exc
    return dict(result)


def _instance(path: Path, sol_path: Path, *, group: str, bks: float) -> VrpInstance:
    data = _read(path, "instance")
    solution = _read(sol_path, "solution")
    for key in ("node_coord", "demand", "capacity", "depot"):
        if key not in data:
            raise DataFormatError(f"no {key} in instance", source=str(path), field=key)
    if list(np.asarray(data["depot"]).ravel()) != [0]:
        raise DataFormatError("expected one depot, node 1", source=str(path))
    if not np.isclose(float(solution["cost"]), bks):
        raise DataFormatError(
            f"cost {solution['cost']} differs from bks.csv ({bks})",
            source=str(sol_path),
        )
    coords = np.asarray(data["node_coord"], dtype=np.float64)
    n = coords.shape[0]
    time_windows = service = None
    if "time_window" in data:
        time_windows = np.asarray(data["time_window"], dtype=np.float64)
        service = np.full(n, float(data.get("service_time", 0)), dtype=np.float64)
        service[0] = 0.0
    return VrpInstance(
        name=str(data.get("name", path.stem)),
        coords=coords,
        demands=np.asarray(data["demand"], dtype=np.int64),
        capacity=int(data["capacity"]),
        edge_weight_type=str(data.get("edge_weight_type", "EUC_2D")),
        bks_routes=tuple(tuple(int(c) for c in r) for r in solution["routes"]),
        bks_cost=float(solution["cost"]),
        vehicles=int(data["vehicles"]) if "vehicles" in data else None,
        time_windows=time_windows,
        service_times=service,
        group=group,
    )


def _bks(directory: Path, cost_column: str) -> pd.DataFrame:
    path = directory / "bks.csv"
    table = pd.read_csv(path, dtype={"instance": str})
    for column in ("instance", cost_column):
        if column not in table.columns:
            raise DataFormatError(f"missing column {column!r}", source=str(path))
    return table.set_index("instance")


def _pick(table: pd.DataFrame, names: Sequence[str] | None) -> list[str]:
    if names is None:
        return [str(n) for n in table.index]
    unknown = [n for n in names if n not in table.index]
    if unknown:
        raise NotFound(f"unknown instances {unknown}")
    return list(names)


def load_cvrplib_x(
    *, directory: Path, names: Sequence[str] | None = None
) -> tuple[VrpInstance, ...]:
    """Load CVRPLIB set X instances (all, or ``names``) with their BKS.

    Raises
    ------
    NotFound
        A name is not in ``bks.csv``.
    DataFormatError
        A file does not parse, or a ``.sol`` cost disagrees with ``bks.csv``.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> (x,) = load_cvrplib_x(directory=Settings().data / "vrp/cvrplib_x",
    ...                       names=["X-n101-k25"])  # doctest: +SKIP
    >>> x.n_customers, x.capacity, x.bks_cost  # doctest: +SKIP
    (100, 206, 27591.0)
    """
    table = _bks(directory, "bks_cost")
    costs = table["bks_cost"].astype(np.float64)
    return tuple(
        _instance(
            directory / f"{name}.vrp",
            directory / f"{name}.sol",
            group="X",
            bks=float(costs[name]),
        )
        for name in _pick(table, names)
    )


def load_solomon(
    *, directory: Path, names: Sequence[str] | None = None
) -> tuple[VrpInstance, ...]:
    """Load Solomon VRPTW instances (VRPLIB twins in ``vrplib/``) with BKS.

    The BKS minimise total distance (DIMACS convention), not vehicles first.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> (c,) = load_solomon(directory=Settings().data / "vrp/solomon",
    ...                     names=["C101"])  # doctest: +SKIP
    >>> c.group, c.vehicles, len(c.bks_routes), c.bks_cost  # doctest: +SKIP
    ('C1', 25, 10, 827.3)
    """
    table = _bks(directory, "bks_distance")
    costs = table["bks_distance"].astype(np.float64)
    groups = table["group"].astype(str) if "group" in table else None
    return tuple(
        _instance(
            directory / "vrplib" / f"{name}.vrp",
            directory / "vrplib" / f"{name}.sol",
            group=str(groups[name]) if groups is not None else "",
            bks=float(costs[name]),
        )
        for name in _pick(table, names)
    )
