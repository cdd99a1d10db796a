"""A read-only view of a live line for dashboards: what the broker carries.

:class:`LineFeed` listens, beside the monitor, to the line's MQTT topics: the
machines' sensor vectors (the same messages the monitor scores), the
monitor's alert topic (the alerts it raised, with their reasons) and, when
the line scores a registered model (``[model]``), its prediction topic (each
machine's newest RUL with its 90 % interval, or failure probability). It
keeps, per machine, the last ``history`` readings and newest prediction and,
for the line, the last ``max_alerts`` alerts, and numbers every change in one
event log that
readers follow with :meth:`LineFeed.events_since`. It never acknowledges or
stores anything: its MQTT session is a clean, non-persistent one with QoS 0,
so a dashboard that stops listening leaves nothing queued at the broker.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from kiwerk.domains.industry.stream._config import LineConfig
from kiwerk.errors import NotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedEvent:
    """One change of the feed: a reading, an alert or a prediction, by ``seq``."""

    seq: int
    kind: str
    body: dict[str, Any]


class LineFeed:
    """Latest readings and alerts of a line as heard on its broker.

    Parameters
    ----------
    config
        The line (broker, machines and their sensors, alert topic).
    history
        Readings kept per machine.
    max_alerts
        Alerts kept for the line.
    max_events
        Events kept for followers; one who falls further behind is told to
        start again from a snapshot (``events_since`` returns ``None``).

    Examples
    --------
    >>> from kiwerk.domains.industry.stream import BrokerConfig, MachineConfig
    >>> line = LineConfig(BrokerConfig(), (MachineConfig("m1", "line/m1", ("t",)),))
    >>> feed = LineFeed(line)
    >>> feed.handle("line/m1", b'{"ts": 5.0, "values": [1.5]}')
    >>> feed.machines()[0]["values"], feed.events_since(0)[0].kind
    ([1.5], 'reading')
    """

    def __init__(
        self,
        config: LineConfig,
        *,
        history: int = 120,
        max_alerts: int = 200,
        max_events: int = 20_000,
    ) -> None:
        if min(history, max_alerts, max_events) < 1:
            raise ValueError("Expected history, max_alerts and max_events >= 1.")
        self.config = config
        self.sensors = {m.name: list(m.sensors) for m in config.machines}
        self._topics = {m.topic: m.name for m in config.machines}
        self.alert_topic = config.alerts.topic
        self.prediction_topic = config.model.topic if config.model else None
        self._predictions: dict[str, dict[str, Any]] = {}
        self._history = {
            n: deque[tuple[float, list[float]]](maxlen=history) for n in self.sensors
        }
        self._counts = dict.fromkeys(self.sensors, 0)
        self._alerts: deque[dict[str, Any]] = deque(maxlen=max_alerts)
        self._events: deque[FeedEvent] = deque(maxlen=max_events)
        self._seq = 0
        self._lock = threading.Lock()
        self.dropped = 0
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self._client: mqtt.Client | None = None

    # -- what the broker says -------------------------------------------------
    def handle(self, topic: str, payload: bytes | bytearray) -> None:
        """Take one MQTT message: a machine's vector or a monitor alert."""
        try:
            obj = json.loads(payload)
        except ValueError:
            self.dropped += 1
            return
        if topic == self.alert_topic:
            self._alert(obj)
            return
        if topic == self.prediction_topic:
            self._prediction(obj)
            return
        machine = self._topics.get(topic)
        if machine is None or not isinstance(obj, dict):
            self.dropped += 1
            return
        ts, values = obj.get("ts"), obj.get("values")
        if isinstance(values, dict):
            values = [values.get(s) for s in self.sensors[machine]]
        if type(ts) not in (int, float) or not isinstance(values, list):
            self.dropped += 1
            return
        clean = [
            float(v) if type(v) in (int, float) and math.isfinite(v) else None
            for v in values
        ]
        with self._lock:
            self._history[machine].append((float(ts), clean))  # type: ignore[arg-type]
            self._counts[machine] += 1
            self._push("reading", {"machine": machine, "ts": ts, "values": clean})

    def _alert(self, obj: object) -> None:
        if not isinstance(obj, dict) or obj.get("machine") not in self.sensors:
            self.dropped += 1
            return
        with self._lock:
            self._alerts.append(obj)
            self._push("alert", obj)

    def _prediction(self, obj: object) -> None:
        found = obj.get("predictions") if isinstance(obj, dict) else None
        if not isinstance(found, list):
            self.dropped += 1
            return
        with self._lock:
            for p in found:
                if not isinstance(p, dict) or p.get("machine") not in self.sensors:
                    self.dropped += 1
                    continue
                self._predictions[p["machine"]] = p
                self._push("prediction", p)

    def _push(self, kind: str, body: dict[str, Any]) -> None:
        self._seq += 1
        self._events.append(FeedEvent(self._seq, kind, body))

    # -- what readers ask -----------------------------------------------------
    @property
    def seq(self) -> int:
        """Number of the newest event (0 before the first)."""
        return self._seq

    def events_since(self, seq: int) -> list[FeedEvent] | None:
        """Events after ``seq``; ``None`` when some of them were already dropped."""
        with self._lock:
            if self._seq <= seq:
                return []
            if not self._events or self._events[0].seq > seq + 1:
                return None
            start = seq + 1 - self._events[0].seq
            return [self._events[i] for i in range(start, len(self._events))]

    def machines(self) -> list[dict[str, Any]]:
        """Each machine's sensors, newest reading and prediction, readings heard."""
        with self._lock:
            out = []
            for name, sensors in self.sensors.items():
                last = self._history[name][-1] if self._history[name] else None
                out.append(
                    {
                        "name": name,
                        "sensors": sensors,
                        "ts": last[0] if last else None,
                        "values": last[1] if last else None,
                        "readings": self._counts[name],
                        "alerts": sum(a["machine"] == name for a in self._alerts),
                        "prediction": self._predictions.get(name),
                    }
                )
            return out

    def history(self, machine: str) -> list[tuple[float, list[float]]]:
        """The kept readings of ``machine``, oldest first.

        Raises
        ------
        NotFound
            When the line has no such machine.
        """
        if machine not in self._history:
            raise NotFound(f"machine {machine!r} is not on this line")
        with self._lock:
            return list(self._history[machine])

    def alerts(self, machine: str | None = None) -> list[dict[str, Any]]:
        """The kept alerts (of one machine), newest first."""
        with self._lock:
            found = [a for a in self._alerts if machine in (None, a["machine"])]
        return found[::-1]

    # -- the MQTT side --------------------------------------------------------
    def start(self, timeout: float = 10.0) -> LineFeed:
        """Connect (in the background) with a clean session and subscribe.

        Waits up to ``timeout`` seconds for the subscription; the client keeps
        reconnecting after that (see :attr:`connected`).
        """
        b = self.config.broker
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"kiwerk-feed-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        topics = list(b.subscribe) or list(self._topics)
        topics += [t for t in (self.alert_topic, self.prediction_topic) if t]

        def on_connect(*args: Any) -> None:
            if not args[3].is_failure:  # (client, userdata, flags, reason, props)
                args[0].subscribe([(t, 0) for t in topics])
                self.connected.set()

        def on_disconnect(*_: Any) -> None:
            self.connected.clear()

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.on_subscribe = lambda *args: self.subscribed.set()
        client.on_message = lambda c, u, msg: self.handle(msg.topic, msg.payload)
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        # connect in the background: an absent broker must not stop a dashboard
        client.connect_async(b.host, b.port, b.keepalive, clean_start=True)
        client.loop_start()
        self._client = client
        if timeout > 0 and not self.subscribed.wait(timeout):
            log.warning("no broker at %s:%d yet; still trying", b.host, b.port)
        return self

    def stop(self) -> None:
        """Disconnect from the broker."""
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None


__all__ = ["FeedEvent", "LineFeed"]
