"""OPC UA: a server in the simulator and client subscriptions in the monitor.

The simulator's :class:`OpcuaLineServer` (asyncua) exposes one variable per
machine sensor, ``ns=<idx>;s=<machine>.<sensor>``, plus ``<machine>.ts``, the
timestamp of the vector. The monitor's :class:`OpcuaIngest` subscribes to the
configured nodes; each data change lands in a per-machine vector that is
handed to the monitor when its timestamp node changes (a sample is complete).
A value that is not a number (a null from a sensor reporting bad quality, a
string, ...) is counted and dropped (``malformed_opcua``).
asyncua is asynchronous: both classes run their own event loop in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import math
import queue
import threading
from collections.abc import Coroutine
from typing import Any

import numpy as np
from asyncua import ua
from asyncua.client.client import Client
from asyncua.server.server import Server
from asyncua.ua.uaerrors import UaError

from kiwerk.domains.industry.stream._config import OpcuaSource
from kiwerk.domains.industry.stream._monitor import LineMonitor
from kiwerk.errors import KiwerkError

log = logging.getLogger(__name__)
NAMESPACE = "urn:kiwerk:line"
BAD_SENSOR_FAILURE = ua.UInt32(0x808C0000)  # OPC UA status code BadSensorFailure


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
    """

    def __init__(self, endpoint: str, machines: dict[str, tuple[str, ...]]) -> None:
        self.endpoint = endpoint
        self.machines = machines
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
        for machine, sensors in self.machines.items():
            obj = await objects.add_object(self.ns, machine)
            for sensor in (*sensors, "ts"):
                nid = ua.NodeId.from_string(f"ns={self.ns};s={machine}.{sensor}")
                var = await obj.add_variable(nid, sensor, 0.0)
                self._vars[f"{machine}.{sensor}"] = var
        await server.start()
        self._server = server

    def publish(self, machine: str, ts: float, values: list[float | None]) -> None:
        """Set a machine's sensor values, then its timestamp (``None``: bad quality)."""
        self._loop.run(self._publish(machine, ts, values))

    async def _publish(
        self, machine: str, ts: float, values: list[float | None]
    ) -> None:
        for sensor, value in zip(self.machines[machine], values, strict=True):
            var = self._vars[f"{machine}.{sensor}"]
            if value is None:  # a failed sensor: bad quality, the value becomes null
                bad = ua.StatusCode(BAD_SENSOR_FAILURE)
                await var.write_value(ua.DataValue(StatusCode=bad))
            else:
                await var.write_value(ua.Variant(float(value), ua.VariantType.Double))
        await self._vars[f"{machine}.ts"].write_value(
            ua.Variant(ts, ua.VariantType.Double)
        )

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._loop.run(self._server.stop())
            self._server = None
        self._loop.close()


class _Handler:
    def __init__(self, ingest: OpcuaIngest) -> None:
        self.ingest = ingest

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        self.ingest.changes.put((node.nodeid.to_string(), val))

    def status_change_notification(self, status: Any) -> None:
        log.warning("OPC UA subscription status changed: %s", status)


class OpcuaIngest:
    """Subscribe to configured OPC UA nodes and feed complete vectors to a monitor."""

    def __init__(
        self,
        sources: tuple[OpcuaSource, ...],
        monitor: LineMonitor,
        period_ms: float = 50.0,
    ) -> None:
        self.sources = sources
        self.monitor = monitor
        self.period_ms = period_ms
        self.changes: queue.Queue[tuple[str, Any]] = queue.Queue(100_000)
        self._where: dict[str, tuple[int, int]] = {}
        self._ts_nodes: dict[str, int] = {}
        self._vectors: dict[int, list[Any]] = {}
        self._loop = _LoopThread("kiwerk-opcua-client")
        self._clients: list[Client] = []

    def start(self) -> None:
        """Connect to every server and subscribe to its nodes."""
        for src in self.sources:
            try:
                self._loop.run(self._subscribe(src))
            except (OSError, TimeoutError, UaError) as exc:
                raise KiwerkError(f"cannot subscribe to {src.endpoint}: {exc}") from exc

    async def _subscribe(self, src: OpcuaSource) -> None:
        client = Client(src.endpoint)
        await client.connect()
        self._clients.append(client)
        m = self.monitor.index[src.machine]
        self._vectors[m] = [math.nan] * len(src.nodes)
        nodes = []
        for j, nid in enumerate(src.nodes):
            node = client.get_node(nid)
            self._where[node.nodeid.to_string()] = (m, j)
            nodes.append(node)
        ts_id = next(iter(src.nodes)).rsplit(".", 1)[0] + ".ts"
        ts_node = client.get_node(ts_id)
        self._ts_nodes[ts_node.nodeid.to_string()] = m
        sub = await client.create_subscription(self.period_ms, _Handler(self))
        await sub.subscribe_data_change([*nodes, ts_node])

    def drain(self) -> int:
        """Hand every complete vector received so far to the monitor."""
        n = 0
        while True:
            try:
                nid, val = self.changes.get_nowait()
            except queue.Empty:
                return n
            n += 1
            if nid in self._ts_nodes:
                m = self._ts_nodes[nid]
                if isinstance(val, float) and val > 0:
                    self.monitor.stats.received += 1
                    self.monitor.accept(m, val, list(self._vectors[m]), nid)
                continue
            where = self._where.get(nid)
            if where is None:
                continue
            m, j = where
            if isinstance(val, bool) or not isinstance(val, (int, float, np.floating)):
                self.monitor.stats.dropped["malformed_opcua"] += 1
                log.warning("OPC UA node %s sent %r, not a number; dropped", nid, val)
                val = math.nan
            self._vectors[m][j] = float(val)

    def stop(self) -> None:
        """Disconnect from every server."""
        for client in self._clients:
            try:
                self._loop.run(client.disconnect())
            except (OSError, TimeoutError, UaError, RuntimeError):
                log.warning("OPC UA disconnect failed", exc_info=True)
        self._loop.close()


__all__ = ["NAMESPACE", "OpcuaIngest", "OpcuaLineServer"]
