"""OPC UA: a server in the simulator and at-least-once ingestion in the monitor.

The simulator's :class:`OpcuaLineServer` (asyncua) exposes one variable per
machine sensor, ``ns=<idx>;s=<machine>.<sensor>``, plus ``<machine>.ts``, the
timestamp of the vector, written last. Every value carries the vector's
time as its OPC UA *source timestamp* and is kept in the server's history
(HistoryRead, raw values).

The monitor's :class:`OpcuaIngest` subscribes to each machine's ``ts`` node;
a data change (or, as a safety net, every ``poll_s``) triggers a *catch-up*:
a history read of the ``ts`` node from the newest source timestamp already
taken (at start: the newest one stored, the high-water mark), then of the
sensor nodes over the same span, joined on the source timestamp into
vectors. So nothing is lost when values change faster than the
subscription's sampling, when kiwerk restarts (it re-reads from what it
stored) or when the server restarts (the client reconnects, re-subscribes
and catches up); the monitor drops anything at or below a machine's newest
timestamp, so nothing is stored twice on (machine, sensor, source
timestamp). A value that is not a number (a null from a sensor reporting bad
quality, a string, ...) is counted and dropped (``malformed_opcua``).
asyncua is asynchronous: both classes run their own event loop in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import queue
import threading
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from asyncua import ua
from asyncua.client.client import Client
from asyncua.server.server import Server
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.uaerrors import UaError

from kiwerk.domains.industry.stream._config import OpcuaSource
from kiwerk.domains.industry.stream._monitor import LineMonitor
from kiwerk.errors import KiwerkError

log = logging.getLogger(__name__)
NAMESPACE = "urn:kiwerk:line"
BAD_SENSOR_FAILURE = ua.UInt32(0x808C0000)  # OPC UA status code BadSensorFailure


def _float(dv: ua.DataValue) -> float:
    """A data value's float, or -inf when it holds none."""
    val = None if dv.Value is None else dv.Value.Value
    return val if isinstance(val, float) else -math.inf


def to_datetime(ts: float) -> datetime:
    """An epoch timestamp as an OPC UA (UTC) date-time.

    Examples
    --------
    >>> to_datetime(0.5).isoformat()
    '1970-01-01T00:00:00.500000+00:00'
    """
    return datetime.fromtimestamp(0, UTC) + timedelta(seconds=ts)


class _LoopThread:
    """An asyncio loop running in a daemon thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name=name, daemon=True
        )
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


class OpcuaLineServer:
    """An OPC UA server exposing machines' sensors as variables.

    Parameters
    ----------
    endpoint
        e.g. ``opc.tcp://127.0.0.1:4840/kiwerk/``.
    machines
        machine name → sensor names.
    history
        Values kept per variable in the (in-memory) history.
    """

    def __init__(
        self,
        endpoint: str,
        machines: dict[str, tuple[str, ...]],
        history: int = 100_000,
    ) -> None:
        self.endpoint = endpoint
        self.machines = machines
        self.history = history
        self._loop = _LoopThread("kiwerk-opcua-server")
        self._server: Server | None = None
        self._vars: dict[str, Any] = {}
        self.ns = 2

    def node_id(self, machine: str, sensor: str) -> str:
        """The string node id of one sensor (or ``ts``)."""
        return f"ns={self.ns};s={machine}.{sensor}"

    def start(self) -> None:
        """Start serving."""
        self._loop.run(self._start())

    async def _start(self) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        self.ns = await server.register_namespace(NAMESPACE)
        objects = server.nodes.objects
        storage = server.iserver.history_manager.storage
        for machine, sensors in self.machines.items():
            obj = await objects.add_object(self.ns, machine)
            for sensor in (*sensors, "ts"):
                nid = ua.NodeId.from_string(f"ns={self.ns};s={machine}.{sensor}")
                var = await obj.add_variable(nid, sensor, 0.0)
                await var.set_attr_bit(
                    AttributeIds.AccessLevel, ua.AccessLevel.HistoryRead
                )
                await storage.new_historized_node(nid, None, self.history)
                self._vars[f"{machine}.{sensor}"] = var
        await server.start()
        self._server = server

    def publish(self, machine: str, ts: float, values: list[float | None]) -> None:
        """Set a machine's sensor values, then its timestamp (``None``: bad quality)."""
        self._loop.run(self._publish(machine, ts, values))

    async def _publish(
        self, machine: str, ts: float, values: list[float | None]
    ) -> None:
        assert self._server is not None
        storage = self._server.iserver.history_manager.storage
        when: Any = to_datetime(ts)  # asyncua's DateTime is a datetime
        names = (*self.machines[machine], "ts")
        for sensor, value in zip(names, [*values, ts], strict=True):
            var = self._vars[f"{machine}.{sensor}"]
            if value is None:  # a failed sensor: bad quality, the value becomes null
                dv = ua.DataValue(
                    StatusCode=ua.StatusCode(BAD_SENSOR_FAILURE),
                    SourceTimestamp=when,
                )
            else:
                variant = ua.Variant(float(value), ua.VariantType.Double)
                dv = ua.DataValue(variant, SourceTimestamp=when)
            await var.write_value(dv)
            await storage.save_node_value(var.nodeid, dv)

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._loop.run(self._server.stop())
            self._server = None
        self._loop.close()


class _Trigger:
    """Subscription handler: a change of a ``ts`` node asks for a catch-up."""

    def __init__(self, ingest: OpcuaIngest, src: int) -> None:
        self.ingest, self.src = ingest, src

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        self.ingest.wake(self.src)

    def status_change_notification(self, status: Any) -> None:
        log.warning("OPC UA subscription status changed: %s", status)


class _Source:
    """One configured server and machine: its connection and catch-up state."""

    def __init__(self, cfg: OpcuaSource, machine: int, seen: float) -> None:
        self.cfg = cfg
        self.machine = machine
        self.seen = seen  # newest source timestamp handed to the monitor
        self.client: Client | None = None
        self.lock = asyncio.Lock()


class OpcuaIngest:
    """Feed complete vectors of configured OPC UA nodes to a monitor, at least once.

    Parameters
    ----------
    sources
        The configured servers (one machine each).
    monitor
        Receives the vectors (:meth:`LineMonitor.accept`) in :meth:`drain`;
        its high-water marks say where a (re)started ingest resumes.
    period_ms
        The subscription's publishing interval.
    poll_s
        Catch up (and reconnect a lost server) at least this often.
    """

    def __init__(
        self,
        sources: tuple[OpcuaSource, ...],
        monitor: LineMonitor,
        period_ms: float = 50.0,
        poll_s: float = 0.5,
    ) -> None:
        self.monitor = monitor
        self.period_ms = period_ms
        self.poll_s = poll_s
        self.sources = [
            _Source(s, m, float(monitor.hwm[m]))
            for s in sources
            for m in [monitor.index[s.machine]]
        ]
        self.vectors: queue.Queue[tuple[int, float, list[float], str]] = queue.Queue(
            100_000
        )
        self.reconnects = 0
        self._loop = _LoopThread("kiwerk-opcua-client")
        self._poller: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Future[None]] = set()

    def start(self) -> None:
        """Connect to every server, subscribe and catch up on what was missed."""
        for src in self.sources:
            try:
                self._loop.run(self._connect(src))
            except (OSError, TimeoutError, UaError) as exc:
                raise KiwerkError(
                    f"cannot subscribe to {src.cfg.endpoint}: {exc}"
                ) from exc
        self._poller = self._loop.run(self._start_polling())

    async def _start_polling(self) -> asyncio.Task[None]:
        return asyncio.create_task(self._poll())

    async def _cancel(self) -> None:
        pending = [*self._tasks, *([self._poller] if self._poller else [])]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _ts_node(self, src: _Source) -> str:
        return next(iter(src.cfg.nodes)).rsplit(".", 1)[0] + ".ts"

    async def _connect(self, src: _Source) -> None:
        client = Client(src.cfg.endpoint)
        await client.connect()
        src.client = client
        i = self.sources.index(src)
        sub = await client.create_subscription(self.period_ms, _Trigger(self, i))
        await sub.subscribe_data_change(client.get_node(self._ts_node(src)))
        await self._catch_up(src)

    def wake(self, i: int) -> None:
        """Catch up on source ``i`` soon (called in the client's loop)."""
        task = asyncio.ensure_future(self._guarded(self.sources[i]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            for src in self.sources:
                await self._guarded(src)

    async def _guarded(self, src: _Source) -> None:
        """Catch up; on a lost connection, reconnect (which catches up too)."""
        try:
            if src.client is None:
                await self._connect(src)
                self.reconnects += 1
                log.warning("reconnected to %s", src.cfg.endpoint)
            else:
                await self._catch_up(src)
        except (OSError, TimeoutError, UaError, ConnectionError) as exc:
            if src.client is not None:
                log.warning("OPC UA %s lost (%s); reconnecting", src.cfg.endpoint, exc)
                client, src.client = src.client, None
                with contextlib.suppress(
                    OSError, TimeoutError, UaError, ConnectionError
                ):
                    await asyncio.wait_for(client.disconnect(), 2)

    async def _catch_up(self, src: _Source) -> None:
        """Read history after ``src.seen`` and queue the complete vectors."""
        async with src.lock:
            client = src.client
            if client is None:
                return
            start = to_datetime(src.seen) if math.isfinite(src.seen) else None
            marks = await client.get_node(self._ts_node(src)).read_raw_history(
                start, None, 0, False
            )
            # without a start time the server answers newest first
            marks = sorted((dv for dv in marks if _float(dv) > src.seen), key=_float)
            if not marks:
                return
            first, last = marks[0].SourceTimestamp, marks[-1].SourceTimestamp
            columns = []
            for nid in src.cfg.nodes:
                values = await client.get_node(nid).read_raw_history(
                    first, last, 0, False
                )
                columns.append({dv.SourceTimestamp: dv for dv in values})
            for mark in marks:
                ts = _float(mark)
                row = [
                    self._number(col.get(mark.SourceTimestamp), nid)
                    for col, nid in zip(columns, src.cfg.nodes, strict=True)
                ]
                self.vectors.put((src.machine, ts, row, src.cfg.endpoint))
                src.seen = ts

    def _number(self, dv: ua.DataValue | None, nid: str) -> float:
        val = None if dv is None or dv.Value is None else dv.Value.Value
        if isinstance(val, bool) or not isinstance(val, (int, float, np.floating)):
            self.monitor.stats.dropped["malformed_opcua"] += 1
            log.warning("OPC UA node %s sent %r, not a number; dropped", nid, val)
            return math.nan
        return float(val)

    def drain(self) -> int:
        """Hand every complete vector received so far to the monitor."""
        n = 0
        while True:
            try:
                m, ts, values, where = self.vectors.get_nowait()
            except queue.Empty:
                return n
            n += 1
            self.monitor.stats.received += 1
            self.monitor.accept(m, ts, values, where)

    def stop(self) -> None:
        """Stop polling and disconnect from every server."""
        self._loop.run(self._cancel())
        for src in self.sources:
            if src.client is None:
                continue
            try:
                self._loop.run(src.client.disconnect(), timeout=5)
            except (OSError, TimeoutError, UaError, RuntimeError):
                log.warning("OPC UA disconnect failed", exc_info=True)
        self._loop.close()


__all__ = ["NAMESPACE", "OpcuaIngest", "OpcuaLineServer", "to_datetime"]
