"""The online monitor: validate, de-duplicate, score, alert and store readings.

:class:`LineMonitor` is transport-agnostic. MQTT or OPC UA code hands it raw
messages with :meth:`LineMonitor.handle` (the minimal per-message Python path:
parse JSON, look the topic up, check the timestamp, append; a gateway's
binary frame is decoded and checked as arrays, :meth:`accept_block`);
:meth:`process` then scores everything received since the last call with the
:class:`StreamScorer` (one numpy pass per position in each machine's run) and
the registered model where there is one, and :meth:`flush` writes the stored
readings durably and only then acknowledges their messages (at-least-once).
Messages at or below their machine's newest timestamp are dropped as
duplicates or out-of-order readings, so a redelivery never stores twice.
A JSON message's optional ``"cycle"`` (an engine's cycle number) goes to the
registered model; each scoring pass's predictions are published on the
``[model]`` section's topic for dashboards.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from kiwerk.domains.industry.stream._alerts import Alert, AlertRouter, make_alert
from kiwerk.domains.industry.stream._config import LineConfig
from kiwerk.domains.industry.stream._frames import Block, decode_frame, json_vectors
from kiwerk.domains.industry.stream._model_scoring import ModelScorer
from kiwerk.domains.industry.stream._monitor_params import MonitorParams, MonitorStats
from kiwerk.domains.industry.stream._scorer import (
    StreamScorer,
    load_arrays,
    save_arrays,
)
from kiwerk.domains.industry.stream._sharded import ShardedStreamScorer
from kiwerk.domains.industry.stream._sink import ReadingSink, long_table
from kiwerk.errors import DataFormatError

log = logging.getLogger(__name__)
Ack = Callable[[], None]


class LineMonitor:
    """Score, alert on and store the readings of one production line.

    Parameters
    ----------
    config
        The line: machines, gateways, alert channels.
    sink
        Where readings are stored (durable when ``write`` returns).
    params
        Detector, batching and rate settings.
    router
        Alert channels with de-duplication and rate limits.
    clock
        Monotonic clock (seconds).
    checkpoint
        A ``.npz`` file for the scorer's state: restored at start when it
        exists, rewritten atomically every ``params.checkpoint_interval_s``
        after a flush and on :meth:`close`.
    model
        The registered RUL / failure model scored on each machine's rolling
        window; its newest prediction rides on the machine's alerts and,
        when ``config.model`` names a topic, every scoring pass's predictions
        are published there through the router's ``publish``.
    scorer
        The detectors, e.g. a :class:`ShardedStreamScorer` over Ray actors
        (built for ``config.machine_names()``); default one
        :class:`StreamScorer` in this process.
    """

    def __init__(
        self,
        config: LineConfig,
        sink: ReadingSink,
        params: MonitorParams | None = None,
        router: AlertRouter | None = None,
        clock: Callable[[], float] = time.monotonic,
        checkpoint: Path | None = None,
        model: ModelScorer | None = None,
        scorer: StreamScorer | ShardedStreamScorer | None = None,
    ) -> None:
        self.config = config
        self.model = model
        self.sink = sink
        self.params = params or MonitorParams()
        self.router = router or AlertRouter(publish=None, topic=None)
        self.clock = clock
        names = config.machine_names()
        self.names = np.array(names, dtype=object)
        self.index = {n: i for i, n in enumerate(names)}
        self.topics = {m.topic: self.index[m.name] for m in config.machines}
        self.gateways = {
            g.topic: np.array([self.index[n] for n in g.machines], np.intp)
            for g in config.gateways
        }
        self.sensors = [list(m.sensors) for m in config.machines] + [
            list(s.nodes.values()) for s in config.opcua
        ]
        m, d = len(names), config.n_sensors
        self.d = d
        p = self.params
        self.scorer = scorer or StreamScorer(m, d, p.detector, p.drift, p.shift)
        if (self.scorer.n_machines, self.scorer.n_sensors) != (m, d):
            raise ValueError(f"Expected a scorer of {m} machines × {d} sensors.")
        self.checkpoint = checkpoint
        self.restored = checkpoint is not None and self.scorer.restore(checkpoint)
        if model is not None and checkpoint is not None:
            state = load_arrays(self._model_checkpoint(checkpoint))
            if state is not None:
                model.load_state(state, str(self._model_checkpoint(checkpoint)))
        marks = sink.high_water_marks()
        self.hwm = np.array([marks.get(n, -math.inf) for n in names], np.float64)
        self.tokens = np.full(m, p.max_rate)
        self.refill = np.full(m, clock())
        self.stats = MonitorStats()
        self._rows: list[tuple[int, float, object]] = []
        self._cycles: dict[tuple[int, float], float] = {}
        self.prediction_topic = config.model.topic if config.model else None
        self._blocks: list[Block] = []
        self._acks: list[Ack] = []
        self._buf: list[Block] = []
        self._buf_rows = 0
        self._last_flush = clock()
        self._last_checkpoint = clock()
        self._dictionary = pa.array(names, pa.string())
        unique = sorted({s for row in self.sensors for s in row})
        self._sensor_names = pa.array(unique, pa.string())
        code = {s: i for i, s in enumerate(unique)}
        self._sensor_codes = np.array(
            [[code[s] for s in row] for row in self.sensors], dtype=np.int32
        ).reshape(m, d)

    # -- the per-message path ------------------------------------------------
    def _drop(self, reason: str, where: str, count: int = 1) -> None:
        before = self.stats.dropped[reason]
        self.stats.dropped[reason] += count
        after = self.stats.dropped[reason]
        if any(before < n <= after for n in (1, 10, 100, 1000)) or log.isEnabledFor(
            logging.DEBUG
        ):
            log.warning("dropped (%s) from %s; %d so far", reason, where, after)

    def handle(
        self, topic: str, payload: bytes | bytearray, ack: Ack | None = None
    ) -> None:
        """Take one MQTT message: a JSON vector or a gateway's binary frame."""
        self.stats.received += 1
        if ack is not None:
            self._acks.append(ack)
        machine = self.topics.get(topic)
        if machine is None:
            gateway = self.gateways.get(topic)
            if gateway is None:
                self._drop("unknown_topic", topic)
            else:
                self._handle_frame(topic, payload, gateway)
            return
        try:
            obj = json.loads(payload)
            ts = obj["ts"]
            values = obj["values"]
        except (ValueError, TypeError, KeyError):
            self._drop("malformed", topic)
            return
        self.accept(machine, ts, values, topic, obj.get("cycle"))

    def _handle_frame(
        self, topic: str, payload: bytes | bytearray, gateway: NDArray[np.intp]
    ) -> None:
        try:
            local, ts, x = decode_frame(payload, self.d, topic)
        except DataFormatError as exc:
            self._drop("malformed", str(exc))
            return
        known = local < len(gateway)
        if not known.all():
            self._drop("unknown_machine", topic, int((~known).sum()))
            local, ts, x = local[known], ts[known], x[known]
        self.accept_block(gateway[local], ts, x, topic)

    def accept(
        self,
        machine: int,
        ts: object,
        values: object,
        where: str,
        cycle: object = None,
    ) -> None:
        """Check one machine's timestamped vector and queue it for scoring.

        ``cycle``, an engine's cycle number, is kept for the registered model
        when it is a finite number.
        """
        if type(ts) not in (float, int) or not math.isfinite(ts):  # type: ignore[arg-type]
            self._drop("bad_timestamp", where)
            return
        t = float(ts)  # type: ignore[arg-type]
        hwm = float(self.hwm[machine])
        if t <= hwm:
            self._drop("duplicate" if t == hwm else "out_of_order", where)
            return
        now = self.clock()
        rate = self.params.max_rate
        tokens = min(
            rate, float(self.tokens[machine]) + (now - self.refill[machine]) * rate
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
        if (
            self.model is not None
            and type(cycle) in (int, float)
            and math.isfinite(cycle)  # type: ignore[arg-type]
        ):
            self._cycles[(machine, t)] = float(cycle)  # type: ignore[arg-type]

    def accept_block(
        self,
        machines: NDArray[np.intp],
        ts: NDArray[np.float64],
        x: NDArray[np.float64],
        where: str,
    ) -> None:
        """Check many timestamped vectors at once and queue them for scoring.

        The same checks as :meth:`accept` (finite timestamp, newer than the
        machine's newest, the machine's rate), as array operations; rows of
        one machine are taken in the order given.
        """
        good = np.isfinite(ts)
        if not good.all():
            self._drop("bad_timestamp", where, int((~good).sum()))
            machines, ts, x = machines[good], ts[good], x[good]
        if len(np.unique(machines)) < len(machines):
            for m, t, row in zip(machines.tolist(), ts.tolist(), x, strict=True):
                self.accept(m, t, row, where)  # a machine twice: in order, one by one
            return
        hwm = self.hwm[machines]
        fresh = ts > hwm
        if not fresh.all():
            dup = int((ts == hwm).sum())
            if dup:
                self._drop("duplicate", where, dup)
            if len(ts) - dup - int(fresh.sum()):
                self._drop("out_of_order", where, len(ts) - dup - int(fresh.sum()))
            machines, ts, x = machines[fresh], ts[fresh], x[fresh]
        now, rate = self.clock(), self.params.max_rate
        tokens = np.minimum(
            rate, self.tokens[machines] + (now - self.refill[machines]) * rate
        )
        self.refill[machines] = now
        allowed = tokens >= 1.0
        self.tokens[machines] = np.where(allowed, tokens - 1.0, tokens)
        if not allowed.all():
            self._drop("rate_limited", where, int((~allowed).sum()))
            machines, ts, x = machines[allowed], ts[allowed], x[allowed]
        self.hwm[machines] = ts
        self.stats.accepted += len(ts)
        self._blocks.append((machines, ts, x))

    # -- the vectorised path -----------------------------------------------
    def _matrix(self) -> tuple[Block, NDArray[np.bool_]]:
        rows, self._rows = self._rows, []
        block, strings, wrong = json_vectors(rows, self.sensors, self.d)
        for m in wrong:
            self._drop("wrong_length", str(self.names[m]))
        for k in np.flatnonzero(strings.any(axis=1)):
            where = str(self.names[block[0][k]])
            self._drop("not_a_number", where, int(strings[k].sum()))
        return block, strings

    def process(self) -> list[Alert]:
        """Score and buffer every message handled since the last call."""
        alerts = self._ingest() if self._rows or self._blocks else []
        self._maybe_flush()
        return alerts

    def _ingest(self) -> list[Alert]:
        blocks, self._blocks = self._blocks, []
        strings = [np.zeros(b[2].shape, np.bool_) for b in blocks]
        if self._rows:
            block, string = self._matrix()
            blocks.append(block)
            strings.append(string)
        midx = np.concatenate([b[0] for b in blocks])
        ts = np.concatenate([b[1] for b in blocks])
        x = np.concatenate([b[2] for b in blocks])
        nan = ~np.isfinite(x) & ~np.concatenate(strings)
        if nan.any():
            for k in np.flatnonzero(nan.any(axis=1)):
                self._drop("nan", str(self.names[midx[k]]), int(nan[k].sum()))
        self._buf.append((midx, ts, x))
        self._buf_rows += int(np.isfinite(x).sum())
        return self._score(midx, ts, x)

    def _score(
        self, midx: NDArray[np.intp], ts: NDArray[np.float64], x: NDArray[np.float64]
    ) -> list[Alert]:
        res = self.scorer.score(midx, ts, x)
        self.stats.scored += res.scored
        self.stats.changepoints += res.changepoints
        alerts: list[Alert] = []
        if self.model is not None:
            alerts += self._score_model(self.model, midx, ts, x, res.score)
        for ev in res.events:
            if ev.kind == "sensor_drift":
                name = str(self.names[ev.machine])
                sensor = self.sensors[ev.machine][ev.sensor]
                self.stats.recalibrations.append((name, sensor, ev.ts, ev.shift))
                log.info(
                    "recalibrated %s/%s by %+.4g at %.3f", name, sensor, ev.shift, ev.ts
                )
            alerts += self._alert(
                ev.machine, ev.ts, ev.kind, ev.score, ev.threshold, ev.contributions
            )
        return alerts

    def _score_model(
        self,
        model: ModelScorer,
        midx: NDArray[np.intp],
        ts: NDArray[np.float64],
        x: NDArray[np.float64],
        score: NDArray[np.float64],
    ) -> list[Alert]:
        """Feed the registered model; publish its predictions; its alerts."""
        cycles = None
        if self._cycles:
            pop = self._cycles.pop
            keys = zip(midx.tolist(), ts.tolist(), strict=True)
            cycles = np.array([pop(k, math.nan) for k in keys], np.float64)
        ok = np.isfinite(score) | np.isfinite(x).any(axis=1)
        alerts = []
        for alert in model.update(
            midx[ok], ts[ok], x[ok], None if cycles is None else cycles[ok]
        ):
            if self.router.send(alert):
                self.stats.alerts += 1
                alerts.append(alert)
        publish = self.router.publish
        if publish is not None and self.prediction_topic and len(model.scored):
            body = {"predictions": model.predictions()}
            publish(self.prediction_topic, json.dumps(body))
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
        if self.model is not None:
            alert = alert.with_prediction(self.model.prediction(m))
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
        if self._rows or self._blocks:
            self._ingest()
        if self._buf:
            midx = np.concatenate([b[0] for b in self._buf])
            ts = np.concatenate([b[1] for b in self._buf])
            x = np.concatenate([b[2] for b in self._buf])
            table = long_table(
                midx, ts, x, self._dictionary, self._sensor_names, self._sensor_codes
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
        if (
            self.checkpoint is not None
            and self._last_flush - self._last_checkpoint
            >= self.params.checkpoint_interval_s
        ):
            self.save_checkpoint()

    @staticmethod
    def _model_checkpoint(path: Path) -> Path:
        return path.with_name(path.stem + ".model.npz")

    def save_checkpoint(self) -> None:
        """Write the scorers' state to :attr:`checkpoint` now (atomic).

        The detectors go to the checkpoint file, the registered model's
        windows beside it (``<name>.model.npz``). After a crash the monitor
        resumes from the last checkpoint: readings stored after it are not
        scored again (they are de-duplicated), so the detectors miss at most
        ``checkpoint_interval_s`` of points.
        """
        if self.checkpoint is not None:
            self.scorer.save(self.checkpoint)
            if self.model is not None:
                path = self._model_checkpoint(self.checkpoint)
                save_arrays(path, self.model.state())
            self._last_checkpoint = self.clock()

    def close(self) -> None:
        """Store and acknowledge what is buffered and checkpoint the state."""
        self.flush()
        self.save_checkpoint()


__all__ = ["LineMonitor"]
