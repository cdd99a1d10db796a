"""Traffic: Los-loop speeds (T-GCN) and the METR-LA sensor graph (DCRNN)."""

from __future__ import annotations

import codecs
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from kiwerk.errors import DataFormatError

LOS_LOOP_START = "2012-03-01"
LOS_LOOP_FREQ = "5min"

# numpy's array rebuilder, taken from how an array pickles itself.
_RECONSTRUCT = cast(tuple[Any, ...], np.empty(0).__reduce__())[0]
# The only globals DCRNN's pickle needs: numpy arrays and dtypes (plus the
# bytes codec that protocol-2 pickles written by Python 3 use for raw data).
_PICKLE_ALLOWED: dict[tuple[str, str], Any] = {
    ("_codecs", "encode"): codecs.encode,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


@dataclass(frozen=True)
class LosLoop:
    """One week of 5-minute speeds at 207 METR-LA sensors.

    Attributes
    ----------
    speed
        ``(2016, 207)`` float64 mph; index: 5-minute ``DatetimeIndex`` from
        2012-03-01 00:00 (the file has no timestamps; T-GCN dates it so);
        columns: sensor ids (str), in METR-LA order. Gaps are already filled.
    adjacency
        ``(207, 207)`` float64, symmetric, diagonal 1: ``max(A, A.T)`` of the
        DCRNN road-distance kernel.
    """

    speed: pd.DataFrame
    adjacency: np.ndarray

    @property
    def sensor_ids(self) -> tuple[str, ...]:
        """Sensor ids in column order."""
        return tuple(str(c) for c in self.speed.columns)


@dataclass(frozen=True)
class MetrLaGraph:
    """The METR-LA sensor graph.

    Attributes
    ----------
    sensor_ids
        207 sensor ids (str), the row order of everything here.
    locations
        ``sensor_id`` (str), ``latitude``, ``longitude`` (float64, WGS84).
    adjacency
        ``(207, 207)`` float32, directed (not symmetric), diagonal 1.
    """

    sensor_ids: tuple[str, ...]
    locations: pd.DataFrame
    adjacency: np.ndarray


def load_los_loop(*, directory: Path) -> LosLoop:
    """Load ``los_speed.csv`` and ``los_adj.csv``.

    Raises
    ------
    DataFormatError
        The adjacency is not square or does not match the sensor count.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> data = load_los_loop(directory=Settings().data / "traffic/los_loop")
    ... # doctest: +SKIP
    >>> data.speed.shape, data.adjacency.shape  # doctest: +SKIP
    ((2016, 207), (207, 207))
    """
    speed_path = directory / "los_speed.csv"
    adj_path = directory / "los_adj.csv"
    speed = pd.read_csv(speed_path, dtype=np.float64)
    speed.columns = pd.Index([str(c) for c in speed.columns])
    speed.index = pd.date_range(LOS_LOOP_START, periods=len(speed), freq=LOS_LOOP_FREQ)
    speed.index.name = "time"
    adjacency = pd.read_csv(adj_path, header=None, dtype=np.float64).to_numpy()
    n = speed.shape[1]
    if adjacency.shape != (n, n):
        raise DataFormatError(
            f"adjacency is {adjacency.shape}, expected ({n}, {n}) for {n} sensors",
            source=str(adj_path),
        )
    return LosLoop(speed=speed, adjacency=adjacency)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles lists, dicts, strings and numpy arrays; refuses everything else."""

    def find_class(self, module: str, name: str) -> Any:
        """Return an allowed global, or refuse (no code runs from the pickle)."""
        try:
            return _PICKLE_ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"global {module}.{name} is not allowed"
            ) from None


def read_adj_pickle(path: Path) -> tuple[list[str], np.ndarray]:
    """Read DCRNN's Python 2 ``adj_mx.pkl``: ``[sensor_ids, id_to_index, adj]``.

    Only numpy globals may appear, so a tampered pickle cannot run code.

    Raises
    ------
    DataFormatError
        The pickle holds anything else or has the wrong structure.
    """
    try:
        with path.open("rb") as stream:
            content = _NumpyOnlyUnpickler(stream, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise DataFormatError(
            f"unsafe or unreadable pickle: {exc}", source=str(path)
        ) from exc
    if not (isinstance(content, list | tuple) and len(content) == 3):
        raise DataFormatError(
            "expected [sensor_ids, id_to_index, adj]", source=str(path)
        )
    ids, id_to_index, adjacency = content
    if not isinstance(adjacency, np.ndarray) or adjacency.shape != (len(ids), len(ids)):
        raise DataFormatError(
            f"adjacency does not match {len(ids)} sensor ids", source=str(path)
        )
    if any(id_to_index.get(s) != i for i, s in enumerate(ids)):
        raise DataFormatError(
            "sensor_id_to_ind disagrees with sensor_ids", source=str(path)
        )
    return [str(s) for s in ids], adjacency


def load_metr_la_graph(*, directory: Path) -> MetrLaGraph:
    """Load ``adj_mx.pkl`` and ``graph_sensor_locations.csv`` (same order).

    Raises
    ------
    DataFormatError
        The pickle is unsafe or malformed, or the two files disagree on the
        sensor order.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> graph = load_metr_la_graph(directory=Settings().data / "traffic/metr_la_graph")
    ... # doctest: +SKIP
    >>> graph.sensor_ids[:2], graph.adjacency.dtype  # doctest: +SKIP
    (('773869', '767541'), dtype('float32'))
    """
    ids, adjacency = read_adj_pickle(directory / "adj_mx.pkl")
    loc_path = directory / "graph_sensor_locations.csv"
    locations = pd.read_csv(loc_path, dtype={"sensor_id": str})
    for column in ("sensor_id", "latitude", "longitude"):
        if column not in locations.columns:
            raise DataFormatError(f"missing column {column!r}", source=str(loc_path))
    locations = locations[["sensor_id", "latitude", "longitude"]]
    if len(locations) != len(ids):
        raise DataFormatError(
            f"{len(locations)} sensors, adj_mx.pkl has {len(ids)}", source=str(loc_path)
        )
    mismatch = np.flatnonzero(locations["sensor_id"].to_numpy() != np.array(ids))
    if mismatch.size:
        row = int(mismatch[0]) + 2  # header is line 1
        raise DataFormatError(
            "sensor order differs from adj_mx.pkl", source=str(loc_path), line=row
        )
    return MetrLaGraph(sensor_ids=tuple(ids), locations=locations, adjacency=adjacency)
