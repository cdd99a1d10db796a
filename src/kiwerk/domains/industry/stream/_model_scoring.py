"""The pilot pipeline's registered model scored in the stream, per machine.

When the registry holds a production version of the machine type's pilot,
:class:`ModelScorer` keeps each machine's rolling window of readings and,
every ``every`` new readings, asks the served model for its prediction:

- ``industry-rul`` (C-MAPSS engines): the remaining useful life after the
  newest reading with its 90 % interval, from the window (``unit`` is the
  machine, ``cycle`` the engine's cycle number when its messages carry one,
  else a count of the machine's readings);
- ``industry-failure`` (AI4I): the failure probability of the newest reading.

A cycle number lower than the last one means a new life (an overhauled or
replaced engine, a replay starting over): the machine's window starts afresh.
The windows and counters are checkpointed with the detectors (see
:meth:`LineMonitor.save_checkpoint`), so a restarted monitor keeps counting
cycles; without cycle numbers, a monitor started in the middle of an engine's
life counts from its own start, which the RUL model reads as a young engine.
Every scoring pass's predictions are available as :meth:`ModelScorer.predictions`
(the monitor publishes them for dashboards).

The model's input columns are the machines' sensor names plus fixed
``constants`` (e.g. the AI4I product ``Type``); a column neither provides is
a configuration error. The newest prediction rides along on every alert of
the machine, and a prediction crossing its limit (the RUL interval's lower
bound below ``rul_below``, the failure probability above ``failure_above``)
raises an alert of its own, with the model's explanation as the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import DomainPipeline
from kiwerk.core.serving import ServedModel
from kiwerk.domains.industry.stream._alerts import Alert, make_alert
from kiwerk.errors import ConfigError, DataFormatError, NotFound

log = logging.getLogger(__name__)
KINDS = {"industry-rul": "rul", "industry-failure": "failure_risk"}


@dataclass(frozen=True)
class ModelScoringParams:
    """How often and on what the registered model is scored.

    Attributes
    ----------
    every
        Score a machine after this many new readings.
    window
        Readings per machine kept as the model's input.
    rul_below
        Alert when the RUL interval's lower bound falls below (cycles).
    failure_above
        Alert when the failure probability rises above.
    constants
        Model input columns with a fixed value, e.g. ``(("Type", "M"),)``.
    """

    every: int = 10
    window: int = 60
    rul_below: float = 30.0
    failure_above: float = 0.5
    constants: tuple[tuple[str, str | float], ...] = ()

    def __post_init__(self) -> None:
        if self.every < 1 or self.window < 1:
            raise ValueError("Expected every >= 1 and window >= 1.")


class ModelScorer:
    """A served pilot model scored on each machine's rolling window.

    Parameters
    ----------
    served
        The loaded model (see :func:`load_stream_model`).
    names
        Machine names, in the monitor's machine order.
    sensors
        Each machine's sensor names, in vector order.
    params
        Scoring cadence, window and alert limits.
    """

    def __init__(
        self,
        served: ServedModel,
        names: list[str],
        sensors: list[list[str]],
        params: ModelScoringParams | None = None,
    ) -> None:
        self.served = served
        self.params = p = params or ModelScoringParams()
        self.kind = KINDS.get(served.pilot.name, "")
        if not self.kind:
            raise ConfigError(
                f"pilot {served.pilot.name!r} cannot score a stream "
                f"(expected one of {sorted(KINDS)})"
            )
        self.names, self.sensors = names, sensors
        needed = [c.name for c in served.pilot.contract.inputs]
        self.columns = [c for c in needed if c not in ("unit", "cycle")]
        constants = dict(p.constants)
        for m, row in enumerate(sensors):
            missing = sorted(set(self.columns) - set(row) - set(constants))
            if missing:
                raise ConfigError(
                    f"machine {names[m]}: the {served.pilot.name} model needs "
                    f"{missing}, which it neither sends nor has as constants"
                )
        n, d = len(names), len(sensors[0]) if sensors else 0
        self.ring_ = np.full((n, p.window, d), np.nan)
        self.count_ = np.zeros(n, np.intp)
        self.since_ = np.zeros(n, np.intp)
        self.latest_ = np.full((n, 3), np.nan)  # estimate, lower, upper / p, -, -
        self.alarm_ = np.zeros(n, np.bool_)
        self.ts_ = np.full(n, np.nan)  # each machine's newest timestamp
        self.cycle_ = np.zeros(n, np.float64)  # each machine's newest cycle
        self.scored: NDArray[np.intp] = np.zeros(0, np.intp)

    def update(
        self,
        machines: NDArray[np.intp],
        ts: NDArray[np.float64],
        x: NDArray[np.float64],
        cycles: NDArray[np.float64] | None = None,
    ) -> list[Alert]:
        """Take a batch's rows (each machine's in time order); score due machines.

        ``cycles`` holds each row's cycle number where its message sent one
        (NaN elsewhere); :attr:`scored` names the machines scored this time.
        """
        w = self.params.window
        hints = np.full(len(ts), np.nan) if cycles is None else cycles
        rows = zip(machines.tolist(), ts.tolist(), x, hints.tolist(), strict=True)
        for m, t, row, hint in rows:
            if hint == hint:  # not NaN: the engine says how old it is
                if hint <= self.cycle_[m]:  # a new life: forget the old window
                    self.count_[m] = self.since_[m] = 0
                    self.alarm_[m] = False
                self.cycle_[m] = hint
            else:
                self.cycle_[m] += 1
            self.ring_[m, self.count_[m] % w] = row
            self.count_[m] += 1
            self.since_[m] += 1
            self.ts_[m] = t
        due = np.flatnonzero(self.since_ >= self.params.every)
        self.scored = due
        if not len(due):
            return []
        self.since_[due] = 0
        return self._predict(due)

    def _window(self, m: int) -> pd.DataFrame:
        w, c = self.params.window, int(self.count_[m])
        k = min(c, w)
        rows = self.ring_[m, [(c - k + i) % w for i in range(k)]]
        frame = pd.DataFrame(rows, columns=self.sensors[m]).ffill().bfill()
        for name, value in self.params.constants:
            frame[name] = value
        last = float(self.cycle_[m])
        frame.insert(0, "cycle", np.arange(last - k + 1, last + 1, dtype=np.float64))
        frame.insert(0, "unit", float(m + 1))
        return frame[["unit", "cycle", *self.columns]]

    def _predict(self, due: NDArray[np.intp]) -> list[Alert]:
        frames = [self._window(int(m)) for m in due]
        if self.kind == "failure_risk":
            frames = [f.iloc[[-1]].drop(columns=["unit", "cycle"]) for f in frames]
        frame = pd.concat(frames, ignore_index=True)
        table = self.served.predict(frame, source="stream window")
        last = np.cumsum([len(f) for f in frames]) - 1
        out: list[Alert] = []
        for i, (m, row) in enumerate(zip(due.tolist(), last.tolist(), strict=True)):
            if self.kind == "rul":
                est = table.iloc[row]
                self.latest_[m] = est[["estimate", "lower", "upper"]].to_numpy(float)
                value, limit = float(self.latest_[m, 1]), self.params.rul_below
                crossed = value < limit
            else:
                value = float(table.iloc[row]["failure_probability"])
                self.latest_[m, 0] = value
                limit = self.params.failure_above
                crossed = value > limit
            if crossed and not self.alarm_[m]:
                out.append(self._alert(m, value, limit, frames[i]))
            self.alarm_[m] = crossed
        return out

    def _alert(self, m: int, value: float, limit: float, frame: pd.DataFrame) -> Alert:
        _, explanation = self.served.explain(frame, source="stream window")
        push = explanation.contributions.iloc[-1]
        push = -push if self.kind == "rul" else push  # what drives the risk up
        push = push[push > 0].sort_values(ascending=False).head(3)
        total = float(push.sum()) or 1.0
        sensors = tuple((str(k), float(v) / total) for k, v in push.items())
        ts = float(self.ts_[m])
        alert = make_alert(self.names[m], ts, self.kind, value, limit, sensors)
        return alert.with_prediction(self.prediction(m))

    def state(self) -> dict[str, NDArray[Any]]:
        """The rolling windows, counters and newest predictions (to checkpoint)."""
        return {k: v for k, v in vars(self).items() if k.endswith("_")}

    def load_state(self, state: dict[str, NDArray[Any]], where: str = "state") -> None:
        """Take the arrays of :meth:`state` from a scorer of the same layout.

        Raises
        ------
        DataFormatError
            When an array is missing or has another shape.
        """
        if "cycle_" not in state and "count_" in state:  # written before cycle_
            state = {**state, "cycle_": state["count_"].astype(np.float64)}
        for name, value in self.state().items():
            if name not in state or state[name].shape != value.shape:
                raise DataFormatError(
                    f"{where}: model state {name} missing or reshaped"
                )
            setattr(self, name, np.array(state[name], dtype=value.dtype))

    def prediction(self, m: int) -> tuple[tuple[str, float], ...]:
        """The machine's newest prediction as (name, value) pairs (empty: none)."""
        v = self.latest_[m]
        if np.isnan(v[0]):
            return ()
        pairs: tuple[tuple[str, float], ...] = (
            ("rul", v[0]),
            ("rul_lower", v[1]),
            ("rul_upper", v[2]),
        )
        if self.kind != "rul":
            pairs = (("failure_probability", v[0]),)
        version = (("model_version", float(self.served.record.version)),)
        return tuple((k, round(float(x), 4)) for k, x in pairs) + version

    def predictions(self) -> list[dict[str, Any]]:
        """The machines scored by the last :meth:`update`, with their prediction.

        Each is ``{"machine", "ts", "cycle", "kind", <prediction pairs>}``, e.g.
        ``rul``, ``rul_lower`` and ``rul_upper`` (the 90 % interval) and
        ``model_version``.
        """
        return [
            {
                "machine": self.names[m],
                "ts": float(self.ts_[m]),
                "cycle": float(self.cycle_[m]),
                "kind": self.kind,
                **dict(self.prediction(m)),
            }
            for m in self.scored.tolist()
            if not np.isnan(self.latest_[m, 0])
        ]


def load_stream_model(
    pilot: DomainPipeline, registry: ModelRegistry, ref: str = "production"
) -> ServedModel | None:
    """The pilot's ``ref`` version if the registry has one, else ``None``."""
    try:
        return ServedModel.load(pilot, registry, ref)
    except NotFound as exc:
        log.info("no %s model for the stream (%s); detectors only", ref, exc)
        return None


__all__ = ["ModelScorer", "ModelScoringParams", "load_stream_model"]
