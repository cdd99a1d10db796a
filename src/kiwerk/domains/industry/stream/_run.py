"""Run a monitor or a simulator against a broker until told to stop."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kiwerk.core.scale import RayParams, ShardParams
from kiwerk.domains.industry.stream._alerts import AlertRouter
from kiwerk.domains.industry.stream._config import LineConfig
from kiwerk.domains.industry.stream._model_scoring import ModelScorer
from kiwerk.domains.industry.stream._monitor import LineMonitor
from kiwerk.domains.industry.stream._monitor_params import MonitorParams, MonitorStats
from kiwerk.domains.industry.stream._mqtt import MqttListener
from kiwerk.domains.industry.stream._sharded import ShardedStreamScorer
from kiwerk.domains.industry.stream._sink import ParquetSink, ReadingSink

log = logging.getLogger(__name__)


def write_line_config(config: LineConfig, path: Path) -> None:
    """Write a line configuration as TOML, as :func:`load_line_config` reads it."""
    b = config.broker
    lines = [
        "[broker]",
        f'host = "{b.host}"',
        f"port = {b.port}",
        f'client_id = "{b.client_id}"',
        "subscribe = [" + ", ".join(f'"{t}"' for t in b.subscribe) + "]",
        "",
        "[alerts]",
    ]
    a = config.alerts
    if a.topic:
        lines.append(f'topic = "{a.topic}"')
    if a.webhook:
        lines.append(f'webhook = "{a.webhook}"')
    lines += [
        f"min_interval_s = {a.min_interval_s}",
        f"max_per_minute = {a.max_per_minute}",
    ]
    for m in config.machines:
        lines += [
            "",
            "[[machines]]",
            f'name = "{m.name}"',
            f'topic = "{m.topic}"',
            "sensors = [" + ", ".join(f'"{s}"' for s in m.sensors) + "]",
        ]
    for g in config.gateways:
        lines += [
            "",
            "[[gateways]]",
            f'topic = "{g.topic}"',
            f'payload = "{g.payload}"',
            "machines = [" + ", ".join(f'"{n}"' for n in g.machines) + "]",
        ]
    if config.model is not None:
        mp = config.model.params
        consts = ", ".join(f'"{k}" = {json.dumps(v)}' for k, v in mp.constants)
        lines += [
            "",
            "[model]",
            f'pilot = "{config.model.pilot}"',
            f'ref = "{config.model.ref}"',
            f"every = {mp.every}",
            f"window = {mp.window}",
            f"rul_below = {mp.rul_below}",
            f"failure_above = {mp.failure_above}",
            f"constants = {{ {consts} }}",
            f'topic = "{config.model.topic or ""}"',
        ]
    for o in config.opcua:
        nodes = ", ".join(f'"{k}" = "{v}"' for k, v in o.nodes.items())
        lines += [
            "",
            "[[opcua]]",
            f'endpoint = "{o.endpoint}"',
            f'machine = "{o.machine}"',
            f"nodes = {{ {nodes} }}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _topics(config: LineConfig) -> list[str]:
    return list(config.broker.subscribe) or [
        *(m.topic for m in config.machines),
        *(g.topic for g in config.gateways),
    ]


def run_monitor(
    config: LineConfig,
    store: Path | ReadingSink,
    *,
    params: MonitorParams | None = None,
    duration: float | None = None,
    stop: threading.Event | None = None,
    ready: threading.Event | None = None,
    on_start: Callable[[LineMonitor], None] | None = None,
    checkpoint: Path | None = None,
    model: ModelScorer | None = None,
    shards: ShardParams | None = None,
    ray: RayParams | None = None,
) -> MonitorStats:
    """Listen to the line, score, alert and store until ``stop`` or ``duration``.

    Readings go to ``store``: a :class:`ReadingSink` (e.g. a pool sink) or a
    folder for a :class:`ParquetSink`; alerts to the log, the
    configured MQTT topic and webhook. On the way out the last batch is stored
    and acknowledged. ``ready`` is set once the subscriptions are confirmed;
    ``on_start`` receives the monitor first (to watch its counters, add
    hooks). ``checkpoint`` is the detectors' state file (restored when it
    exists, rewritten periodically and on the way out); by default
    ``checkpoint.npz`` in a ``store`` folder. ``model`` is the registered
    model to score per machine (see :func:`load_stream_model`). ``shards``
    splits the detectors by machine over that many shards, held by Ray actors
    when ``ray`` names a cluster, else in this process; the scores and alerts
    are the same either way (the checkpoint is one file per shard).
    """
    stop = stop or threading.Event()
    sink = ParquetSink(store) if isinstance(store, Path) else store
    holder: dict[str, MqttListener] = {}

    def publish(topic: str, payload: str) -> None:
        holder["listener"].client.publish(topic, payload, qos=1)

    a = config.alerts
    router = AlertRouter(
        publish=publish,
        topic=a.topic,
        webhook=a.webhook,
        min_interval_s=a.min_interval_s,
        max_per_minute=a.max_per_minute,
    )
    if checkpoint is None and isinstance(store, Path):
        checkpoint = store / "checkpoint.npz"
    scorer = _scorer(config, params or MonitorParams(), shards, ray)
    try:
        monitor = LineMonitor(
            config, sink, params, router, checkpoint=checkpoint, model=model,
            scorer=scorer,
        )  # fmt: skip
        if monitor.restored:
            log.info("detector state restored from %s", checkpoint)
        if on_start is not None:
            on_start(monitor)
        return _drive(config, monitor, router, stop, duration, ready, holder)
    finally:
        if scorer is not None:
            scorer.close()


def _scorer(
    config: LineConfig,
    params: MonitorParams,
    shards: ShardParams | None,
    ray: RayParams | None,
) -> ShardedStreamScorer | None:
    """The sharded detectors, or None for one scorer in this process."""
    ray = ray or RayParams()
    if shards is None and ray.in_process:
        return None
    return ShardedStreamScorer(
        config.machine_names(),
        config.n_sensors,
        params.detector,
        params.drift,
        params.shift,
        shards,
        ray,
    )


def _drive(
    config: LineConfig,
    monitor: LineMonitor,
    router: AlertRouter,
    stop: threading.Event,
    duration: float | None,
    ready: threading.Event | None,
    holder: dict[str, MqttListener],
) -> MonitorStats:
    """Feed ``monitor`` from the broker (and OPC UA) until stopped."""
    listener = MqttListener(config.broker, _topics(config), monitor.handle)
    holder["listener"] = listener
    opcua = None
    if config.opcua:
        from kiwerk.domains.industry.stream._opcua import OpcuaIngest

        opcua = OpcuaIngest(config.opcua, monitor)
        opcua.start()
    listener.start()
    end = None if duration is None else time.monotonic() + duration
    try:
        while not stop.is_set() and (end is None or time.monotonic() < end):
            if ready is not None and listener.subscribed.is_set():
                ready.set()
            listener.drain()
            if opcua is not None:
                opcua.drain()
            monitor.process()
    finally:
        monitor.close()
        time.sleep(0.1)  # let the network thread send the last acknowledgements
        listener.stop()
        if opcua is not None:
            opcua.stop()
        router.close()
    return monitor.stats


__all__ = ["run_monitor", "write_line_config"]
