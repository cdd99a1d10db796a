"""The online monitor: validate, de-duplicate, score, alert and store readings.

:class:`LineMonitor` is transport-agnostic. MQTT or OPC UA code hands it raw
messages with :meth:`LineMonitor.handle` (the minimal per-message Python path:
parse JSON, look the topic up, check the timestamp, append); :meth:`process`
then scores everything received since the last call as arrays, one numpy pass
per machine occurrence, and :meth:`flush` writes the stored readings durably
and only then acknowledges the messages they came from (at-least-once).
Messages at or below their machine's newest timestamp are dropped as
duplicates or out-of-order readings, so a redelivery never stores twice.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from kiwerk.core.monitor import (
    MeanShiftDetector,
    MeanShiftParams,
    MewmaDetector,
    MewmaParams,
    SensorDriftDetector,
    SensorDriftParams,
)
from kiwerk.domains.industry.stream._alerts import Alert, AlertRouter, make_alert
from kiwerk.domains.industry.stream._config import LineConfig
from kiwerk.domains.industry.stream._sink import ReadingSink

log = logging.getLogger(__name__)
Ack = Callable[[], None]


@dataclass(frozen=True)
class MonitorParams:
    """Settings of :class:`LineMonitor`.

    Attributes
    ----------
    detector, drift, shift
        The anomaly, sensor-drift and change-point detectors' settings.
    batch_rows
        Readings per stored batch.
    flush_interval_s
        Longest time readings wait before they are stored and acknowledged.
    max_rate
        Messages per second one machine may send (a token bucket of one
        second's burst); the excess of a flood is dropped and counted.
    top_sensors
        Sensors named in an alert.
    """

    detector: MewmaParams = field(
        default_factory=lambda: MewmaParams(n_fit=200, off_count=10, shrinkage=0.3)
    )
    drift: SensorDriftParams = field(default_factory=SensorDriftParams)
    shift: MeanShiftParams = field(default_factory=lambda: MeanShiftParams(n_fit=200))
    batch_rows: int = 100_000
    flush_interval_s: float = 1.0
    max_rate: float = 1000.0
    top_sensors: int = 3


@dataclass
class MonitorStats:
    """Counters of one monitor run."""

    received: int = 0
    accepted: int = 0
    stored_readings: int = 0
    scored: int = 0
    batches: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    alerts: int = 0
    recalibrations: list[tuple[str, str, float, float]] = field(default_factory=list)
    changepoints: int = 0


class LineMonitor:
    """Score, alert on and store the readings of one production line."""

    def __init__(
        self,
        config: LineConfig,
        sink: ReadingSink,
        params: MonitorParams | None = None,
        router: AlertRouter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.sink = sink
        self.params = params or MonitorParams()
        self.router = router or AlertRouter(publish=None, topic=None)
        self.clock = clock
        names = config.machine_names()
        self.names = np.array(names, dtype=object)
        self.index = {n: i for i, n in enumerate(names)}
        self.topics = {m.topic: self.index[m.name] for m in config.machines}
        self.sensors = [list(m.sensors) for m in config.machines] + [
            list(s.nodes.values()) for s in config.opcua
        ]
        m, d = len(names), config.n_sensors
        self.d = d
        p = self.params
        self.detector = MewmaDetector(m, d, p.detector)
        self.drift = SensorDriftDetector(self.detector, p.drift)
        self.shift = MeanShiftDetector(m, d, p.shift)
        self.last_good = np.full((m, d), np.nan)
        marks = sink.high_water_marks()
        self.hwm = [marks.get(n, -math.inf) for n in names]
        self.tokens = [p.max_rate] * m
        self.refill = [clock()] * m
        self.stats = MonitorStats()
        self._rows: list[tuple[int, float, object]] = []
        self._acks: list[Ack] = []
        self._buf: list[
            tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]
        ] = []
        self._buf_rows = 0
        self._last_flush = clock()
        self._dictionary = pa.array(names, pa.string())
        unique = sorted({s for row in self.sensors for s in row})
        self._sensor_names = pa.array(unique, pa.string())
        code = {s: i for i, s in enumerate(unique)}
        self._sensor_codes = np.array(
            [[code[s] for s in row] for row in self.sensors], dtype=np.int32
        ).reshape(m, d)

    # -- the per-message path ------------------------------------------------
    def _drop(self, reason: str, where: str) -> None:
        self.stats.dropped[reason] += 1
        if self.stats.dropped[reason] in (1, 10, 100, 1000) or log.isEnabledFor(
            logging.DEBUG
        ):
            log.warning(
                "dropped (%s) from %s; %d so far",
                reason,
                where,
                self.stats.dropped[reason],
            )

    def handle(
        self, topic: str, payload: bytes | bytearray, ack: Ack | None = None
    ) -> None:
        """Take one MQTT message: one machine's sensor vector as JSON."""
        self.stats.received += 1
        if ack is not None:
            self._acks.append(ack)
        machine = self.topics.get(topic)
        if machine is None:
            self._drop("unknown_topic", topic)
            return
        try:
            obj = json.loads(payload)
            ts = obj["ts"]
            values = obj["values"]
        except (ValueError, TypeError, KeyError):
            self._drop("malformed", topic)
            return
        self.accept(machine, ts, values, topic)

    def accept(self, machine: int, ts: object, values: object, where: str) -> None:
        """Check one machine's timestamped vector and queue it for scoring."""
        if type(ts) not in (float, int) or not math.isfinite(ts):  # type: ignore[arg-type]
            self._drop("bad_timestamp", where)
            return
        t = float(ts)  # type: ignore[arg-type]
        if t <= self.hwm[machine]:
            self._drop("duplicate" if t == self.hwm[machine] else "out_of_order", where)
            return
        now = self.clock()
        tokens = min(
            self.params.max_rate,
            self.tokens[machine] + (now - self.refill[machine]) * self.params.max_rate,
        )
        self.refill[machine] = now
        if tokens < 1.0:
            self.tokens[machine] = tokens
            self._drop("rate_limited", where)
            return
        self.tokens[machine] = tokens - 1.0
        self.hwm[machine] = t
        self.stats.accepted += 1
        self._rows.append((machine, t, values))

    # -- the vectorised path -----------------------------------------------
    def _matrix(
        self,
    ) -> tuple[
        NDArray[np.intp], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]
    ]:
        rows = self._rows
        self._rows = []
        midx = np.fromiter((r[0] for r in rows), np.intp, len(rows))
        ts = np.fromiter((r[1] for r in rows), np.float64, len(rows))
        x = np.full((len(rows), self.d), np.nan)
        keep = np.ones(len(rows), dtype=np.bool_)
        strings = np.zeros(x.shape, dtype=np.bool_)
        for i, (m, _, values) in enumerate(rows):
            if isinstance(values, dict):
                values = [values.get(s, math.nan) for s in self.sensors[m]]
            if not isinstance(values, list) or len(values) != self.d:
                self._drop("wrong_length", str(self.names[m]))
                keep[i] = False
                continue
            try:
                x[i] = values
            except (ValueError, TypeError):
                numeric = [type(v) in (float, int) for v in values]
                x[i] = [
                    v if ok else math.nan for v, ok in zip(values, numeric, strict=True)
                ]
                strings[i] = np.logical_not(numeric)
                for _ in range(int(strings[i].sum())):
                    self._drop("not_a_number", str(self.names[m]))
        return midx[keep], ts[keep], x[keep], strings[keep]

    def process(self) -> list[Alert]:
        """Score and buffer every message handled since the last call."""
        alerts = self._ingest() if self._rows else []
        self._maybe_flush()
        return alerts

    def _ingest(self) -> list[Alert]:
        midx, ts, x, strings = self._matrix()
        bad = ~np.isfinite(x)
        for k in np.flatnonzero((bad & ~strings).any(axis=1)):
            for _ in range(int((bad[k] & ~strings[k]).sum())):
                self._drop("nan", str(self.names[midx[k]]))
        self._buf.append((midx, ts, x))
        self._buf_rows += int((~bad).sum())
        return self._score(midx, ts, x, bad)

    def _score(
        self,
        midx: NDArray[np.intp],
        ts: NDArray[np.float64],
        x: NDArray[np.float64],
        bad: NDArray[np.bool_],
    ) -> list[Alert]:
        # hold each sensor's last good value through NaNs and strings
        filled = np.where(bad, self.last_good[midx], x)
        alerts: list[Alert] = []
        ok = np.isfinite(filled).all(axis=1)
        order = np.argsort(midx, kind="stable")
        sm = midx[order]
        starts = np.r_[True, sm[1:] != sm[:-1]] if len(sm) else np.zeros(0, bool)
        first = np.maximum.accumulate(np.where(starts, np.arange(len(sm)), 0))
        rank = np.empty(len(sm), np.intp)
        rank[order] = np.arange(len(sm)) - first
        for r in range(int(rank.max()) + 1 if len(rank) else 0):
            sel = np.flatnonzero((rank == r) & ok)
            if not sel.size:
                continue
            ms = midx[sel]
            self.last_good[ms] = filled[sel]
            before = self.detector.alarm_[ms].copy()
            res = self.detector.update(ms, filled[sel])
            self.stats.scored += len(sel)
            self.stats.changepoints += int(self.shift.update(ms, filled[sel]).sum())
            for k in np.flatnonzero(res.alarm & ~before):
                alerts += self._alert(
                    int(ms[k]),
                    float(ts[sel[k]]),
                    "anomaly",
                    res.score[k],
                    res.threshold[k],
                    res.contributions[k],
                )
            for rec in self.drift.update(ms, res):
                kk = int(np.flatnonzero(ms == rec.machine)[0])
                name = self.names[rec.machine]
                sensor = self.sensors[rec.machine][rec.sensor]
                self.stats.recalibrations.append(
                    (name, sensor, float(ts[sel[kk]]), rec.shift)
                )
                log.info(
                    "recalibrated %s/%s by %+.4g at %.3f",
                    name,
                    sensor,
                    rec.shift,
                    ts[sel[kk]],
                )
                share = np.zeros(self.d)
                share[rec.sensor] = 1.0
                alerts += self._alert(
                    rec.machine,
                    float(ts[sel[kk]]),
                    "sensor_drift",
                    res.score[kk],
                    res.threshold[kk],
                    share,
                )
        return alerts

    def _alert(
        self,
        m: int,
        t: float,
        kind: str,
        score: float,
        thr: float,
        contrib: NDArray[np.float64],
    ) -> list[Alert]:
        pos = np.clip(contrib, 0, None)
        total = float(pos.sum()) or 1.0
        top = np.argsort(-pos)[: self.params.top_sensors]
        sensors = tuple(
            (self.sensors[m][j], float(pos[j] / total)) for j in top if pos[j] > 0
        )
        alert = make_alert(
            str(self.names[m]), t, kind, float(score), float(thr), sensors
        )
        if self.router.send(alert):
            self.stats.alerts += 1
            return [alert]
        return []

    # -- storage and acknowledgement ---------------------------------------
    def _maybe_flush(self) -> None:
        due = self.clock() - self._last_flush >= self.params.flush_interval_s
        if self._buf_rows >= self.params.batch_rows or (
            due and (self._buf or self._acks)
        ):
            self.flush()

    def flush(self) -> None:
        """Store the buffered readings durably, then acknowledge their messages."""
        if self._rows:
            self._ingest()
        if self._buf:
            midx = np.concatenate([b[0] for b in self._buf])
            ts = np.concatenate([b[1] for b in self._buf])
            x = np.concatenate([b[2] for b in self._buf])
            rows, cols = np.nonzero(np.isfinite(x))
            machines = pa.DictionaryArray.from_arrays(
                pa.array(midx[rows].astype(np.int32)), self._dictionary
            )
            codes = self._sensor_codes[midx[rows], cols]
            sensors = pa.DictionaryArray.from_arrays(
                pa.array(codes), self._sensor_names
            )
            table = pa.table(
                {
                    "machine": machines,
                    "sensor": sensors,
                    "ts": pa.array(ts[rows]),
                    "value": pa.array(x[rows, cols]),
                }
            )
            self.sink.write(table)
            self.stats.stored_readings += table.num_rows
            self.stats.batches += 1
        self._buf = []
        self._buf_rows = 0
        acks, self._acks = self._acks, []
        for ack in acks:
            ack()
        self._last_flush = self.clock()


__all__ = ["LineMonitor", "MonitorParams", "MonitorStats"]
