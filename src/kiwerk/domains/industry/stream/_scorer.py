"""Online scoring of machines' sensor vectors, with checkpoints of the state.

:class:`StreamScorer` is the scoring core of the monitor, free of transport
and storage: the MEWMA T² anomaly detector, the sensor-drift detector with
recalibration and the mean-shift change-point detector, for a fixed set of
machines that all have the same sensors. It is the public per-machine
scoring API: :meth:`StreamScorer.score_machine` scores a batch of one
machine's readings in time order, :meth:`StreamScorer.score` a batch of many
machines' readings (one numpy pass per position in each machine's run). A
process that owns a subset of the machines (an MQTT shared-subscription
worker, a Ray actor) builds a scorer for its subset and feeds it.

All learnt state (fit buffers, smoothed vectors, means, precisions, drift
offsets, change-point windows, last good values) lives in arrays;
:meth:`StreamScorer.save` checkpoints them atomically (temporary file, fsync,
rename) and :meth:`StreamScorer.restore` reads them back, so a restarted
monitor goes on from where it stopped instead of fitting from scratch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kiwerk.core.monitor import (
    MeanShiftDetector,
    MeanShiftParams,
    MewmaDetector,
    MewmaParams,
    SensorDriftDetector,
    SensorDriftParams,
)
from kiwerk.errors import DataFormatError

CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class ScoreEvent:
    """Something to alert on: ``anomaly`` (alarm switched on) or ``sensor_drift``.

    ``contributions`` holds each sensor's share of the score (for drift, 1 on
    the recalibrated sensor); ``shift`` is the drift offset re-estimated.
    """

    machine: int
    ts: float
    kind: str
    score: float
    threshold: float
    contributions: NDArray[np.float64]
    sensor: int = -1
    shift: float = 0.0


@dataclass
class ScoreBatchResult:
    """What scoring one batch gave, row by row and as events.

    ``score`` and ``alarm`` follow the batch's rows (NaN / False for rows not
    scored: still fitting, or with a sensor never seen finite).
    """

    score: NDArray[np.float64]
    alarm: NDArray[np.bool_]
    scored: int = 0
    changepoints: int = 0
    events: list[ScoreEvent] = field(default_factory=list)


class StreamScorer:
    """Anomaly, drift and change-point scoring for ``n_machines`` machines.

    Parameters
    ----------
    n_machines, n_sensors
        Machines 0 … n_machines − 1, each with ``n_sensors`` sensors.
    detector, drift, shift
        The detectors' settings.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> scorer = StreamScorer(2, 3, MewmaParams(n_fit=50, off_count=1))
    >>> ts = np.arange(60.0)
    >>> res = scorer.score_machine(1, ts, rng.normal(size=(60, 3)))
    >>> res.scored, bool(res.alarm.any())
    (60, False)
    >>> res = scorer.score_machine(1, ts[:5] + 60, np.full((5, 3), 9.0))
    >>> [e.kind for e in res.events]
    ['anomaly']
    """

    def __init__(
        self,
        n_machines: int,
        n_sensors: int,
        detector: MewmaParams,
        drift: SensorDriftParams | None = None,
        shift: MeanShiftParams | None = None,
    ) -> None:
        self.n_machines = n_machines
        self.n_sensors = n_sensors
        self.detector = MewmaDetector(n_machines, n_sensors, detector)
        self.drift = SensorDriftDetector(self.detector, drift or SensorDriftParams())
        self.shift = MeanShiftDetector(
            n_machines, n_sensors, shift or MeanShiftParams(n_fit=detector.n_fit)
        )
        self.last_good_ = np.full((n_machines, n_sensors), np.nan)

    def score_machine(
        self, machine: int, ts: NDArray[np.float64], x: NDArray[np.float64]
    ) -> ScoreBatchResult:
        """Score a batch of one machine's readings, rows in time order.

        Parameters
        ----------
        machine
            The machine's index.
        ts
            The rows' timestamps, shape ``(k,)``.
        x
            Sensor vectors, shape ``(k, n_sensors)``; NaN marks a missing
            value (the sensor's last good value stands in for it).
        """
        if not 0 <= machine < self.n_machines:
            raise ValueError(f"Expected machine in [0, {self.n_machines}).")
        return self.score(np.full(len(ts), machine, np.intp), ts, x)

    def score(
        self,
        machines: NDArray[np.intp],
        ts: NDArray[np.float64],
        x: NDArray[np.float64],
    ) -> ScoreBatchResult:
        """Score rows of many machines; each machine's rows in time order."""
        check_batch(machines, ts, x, self.n_sensors)
        filled = np.where(np.isfinite(x), x, self.last_good_[machines])
        ok = np.isfinite(filled).all(axis=1)
        out = ScoreBatchResult(np.full(len(ts), np.nan), np.zeros(len(ts), np.bool_))
        rank = _rank_within(machines)
        for r in range(int(rank.max()) + 1 if len(rank) else 0):
            sel = np.flatnonzero((rank == r) & ok)
            if sel.size:
                self._step(machines[sel], ts[sel], filled[sel], sel, out)
        return out

    def _step(
        self,
        ms: NDArray[np.intp],
        ts: NDArray[np.float64],
        x: NDArray[np.float64],
        sel: NDArray[np.intp],
        out: ScoreBatchResult,
    ) -> None:
        self.last_good_[ms] = x
        before = self.detector.alarm_[ms].copy()
        res = self.detector.update(ms, x)
        out.score[sel] = res.score
        out.alarm[sel] = res.alarm
        out.scored += len(ms)
        out.changepoints += int(self.shift.update(ms, x).sum())
        for k in np.flatnonzero(res.alarm & ~before):
            out.events.append(
                ScoreEvent(
                    int(ms[k]),
                    float(ts[k]),
                    "anomaly",
                    float(res.score[k]),
                    float(res.threshold[k]),
                    res.contributions[k],
                )
            )
        for rec in self.drift.update(ms, res):
            j = int(np.flatnonzero(ms == rec.machine)[0])
            share = np.zeros(self.n_sensors)
            share[rec.sensor] = 1.0
            out.events.append(
                ScoreEvent(
                    rec.machine,
                    float(ts[j]),
                    "sensor_drift",
                    float(res.score[j]),
                    float(res.threshold[j]),
                    share,
                    rec.sensor,
                    rec.shift,
                )
            )

    # -- checkpoints ---------------------------------------------------------
    def _parts(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "drift": self.drift,
            "shift": self.shift,
            "scorer": self,
        }

    def state(self) -> dict[str, NDArray[Any]]:
        """Every learnt array (attributes ending in ``_``), keyed ``part.name``."""
        out: dict[str, NDArray[Any]] = {
            "version": np.array(CHECKPOINT_VERSION),
            "shape": np.array([self.n_machines, self.n_sensors]),
        }
        for part, obj in self._parts().items():
            for name, value in vars(obj).items():
                if name.endswith("_") and isinstance(value, np.ndarray):
                    out[f"{part}.{name}"] = value
        # the fit buffer is released once every machine is fitted
        out["detector.has_buffer"] = np.array(self.detector.buffer_ is not None)
        return out

    def load_state(self, state: dict[str, NDArray[Any]], where: str = "state") -> None:
        """Take the arrays of :meth:`state` (from the same line layout).

        Raises
        ------
        DataFormatError
            When the arrays come from another checkpoint version or layout.
        """
        if int(state.get("version", -1)) != CHECKPOINT_VERSION or [
            int(v) for v in state.get("shape", [])
        ] != [self.n_machines, self.n_sensors]:
            raise DataFormatError(
                f"{where}: checkpoint of another version or line layout "
                f"(expected {self.n_machines} machines × {self.n_sensors} sensors)"
            )
        for part, obj in self._parts().items():
            for name, value in vars(obj).items():
                key = f"{part}.{name}"
                if key == "detector.buffer_":
                    continue  # restored below: it may have been released
                if name.endswith("_") and isinstance(value, np.ndarray):
                    if key not in state or state[key].shape != value.shape:
                        raise DataFormatError(f"{where}: {key} missing or reshaped")
                    setattr(obj, name, np.array(state[key], dtype=value.dtype))
        if not bool(state.get("detector.has_buffer", True)):
            self.detector.buffer_ = None
        elif "detector.buffer_" in state:
            self.detector.buffer_ = np.array(state["detector.buffer_"])
        else:
            raise DataFormatError(f"{where}: detector.buffer_ missing")

    def save(self, path: Path) -> None:
        """Checkpoint the state to ``path`` atomically (``.npz``)."""
        save_arrays(path, self.state())

    def restore(self, path: Path) -> bool:
        """Load a checkpoint written by :meth:`save`; False when there is none."""
        state = load_arrays(path)
        if state is None:
            return False
        self.load_state(state, str(path))
        return True


def save_arrays(path: Path, arrays: dict[str, NDArray[Any]]) -> None:
    """Write arrays to an ``.npz`` file atomically (temporary file, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_arrays(path: Path) -> dict[str, NDArray[Any]] | None:
    """The arrays of an ``.npz`` checkpoint, or ``None`` when there is none.

    Raises
    ------
    DataFormatError
        When the file is not a readable ``.npz`` file.
    """
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise DataFormatError(f"{path}: not a scorer checkpoint: {exc}") from exc


def check_batch(
    machines: NDArray[np.intp],
    ts: NDArray[np.float64],
    x: NDArray[np.float64],
    n_sensors: int,
) -> None:
    """Raise ``ValueError`` unless machines, ts, x are (k,), (k,), (k, n_sensors)."""
    if x.shape != (len(machines), n_sensors) or len(ts) != len(machines):
        raise ValueError(f"Expected machines (k,), ts (k,) and x (k, {n_sensors}).")


def _rank_within(machines: NDArray[np.intp]) -> NDArray[np.intp]:
    """Position of each row among the rows of its machine (0, 1, 2, …)."""
    order = np.argsort(machines, kind="stable")
    sm = machines[order]
    starts = np.r_[True, sm[1:] != sm[:-1]] if len(sm) else np.zeros(0, np.bool_)
    first = np.maximum.accumulate(np.where(starts, np.arange(len(sm)), 0))
    rank = np.empty(len(sm), np.intp)
    rank[order] = np.arange(len(sm)) - first
    return rank


__all__ = [
    "CHECKPOINT_VERSION",
    "ScoreBatchResult",
    "ScoreEvent",
    "StreamScorer",
    "check_batch",
    "load_arrays",
    "save_arrays",
]
