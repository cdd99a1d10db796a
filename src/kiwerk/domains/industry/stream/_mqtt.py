"""MQTT transport: QoS 1, persistent sessions, acknowledgement after storage.

:class:`MqttListener` subscribes a :class:`LineMonitor` to its machines'
topics with an MQTT 5 persistent session (``clean_start=False``, a session
expiry, a fixed client id) and *manual* acknowledgements: the broker keeps
every message the monitor has not acknowledged and sends it again after a
reconnect or a restart of the monitor. The monitor acknowledges a message
only after :meth:`LineMonitor.flush` made its readings durable.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from kiwerk.domains.industry.stream._config import BrokerConfig
from kiwerk.errors import KiwerkError

log = logging.getLogger(__name__)
SESSION_EXPIRY_S = 24 * 3600


def make_client(client_id: str, *, manual_ack: bool = False) -> mqtt.Client:
    """A paho MQTT 5 client with a persistent session, not yet connected."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)  # keep every unsent QoS 1 message
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    return client


def connect(client: mqtt.Client, broker: BrokerConfig, timeout: float = 10.0) -> None:
    """Connect with ``clean_start=False`` and a session expiry; start the loop."""
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = SESSION_EXPIRY_S
    props.ReceiveMaximum = 65535
    connected = threading.Event()
    previous: Any = client.on_connect

    def on_connect(c: mqtt.Client, u: Any, f: Any, rc: Any, p: Any = None) -> None:
        connected.set()
        if previous is not None:
            previous(c, u, f, rc, p)

    client.on_connect = on_connect
    try:
        client.connect(
            broker.host,
            broker.port,
            broker.keepalive,
            clean_start=False,
            properties=props,
        )
    except OSError as exc:
        raise KiwerkError(
            f"cannot reach the MQTT broker at {broker.host}:{broker.port}: {exc}"
        ) from exc
    client.loop_start()
    if not connected.wait(timeout):
        client.loop_stop()
        raise KiwerkError(f"no CONNACK from {broker.host}:{broker.port} in {timeout} s")


class MqttListener:
    """Feed MQTT messages of the configured topics into a message handler.

    Parameters
    ----------
    broker
        Where the broker is; ``broker.client_id`` names the persistent session.
    topics
        Topics to subscribe to with QoS 1.
    handle
        Called as ``handle(topic, payload, ack)`` from :meth:`drain`, in the
        caller's thread; ``ack()`` acknowledges that message to the broker.
    queue_size
        Messages held between the network thread and :meth:`drain`; when it
        is full the network thread waits (backpressure, memory stays bounded).
    """

    def __init__(
        self,
        broker: BrokerConfig,
        topics: list[str],
        handle: Callable[[str, bytes | bytearray, Callable[[], None]], None],
        queue_size: int = 50_000,
    ) -> None:
        self.broker = broker
        self.topics = topics
        self.handle = handle
        self.queue: queue.Queue[tuple[str, bytes | bytearray, int, int]] = queue.Queue(
            queue_size
        )
        self.generation = 0
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.client = make_client(broker.client_id, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self.subscribed.set()

    def _on_connect(
        self, c: mqtt.Client, u: Any, f: Any, rc: Any, p: Any = None
    ) -> None:
        if rc.is_failure:
            log.error("broker refused the connection: %s", rc)
            return
        if self.topics:
            c.subscribe([(t, 1) for t in self.topics])
        else:
            self.subscribed.set()  # nothing to subscribe to (an OPC UA-only line)
        self.connected.set()
        log.info(
            "connected to %s:%d (session present: %s)",
            self.broker.host,
            self.broker.port,
            getattr(f, "session_present", None),
        )

    def _on_disconnect(
        self, c: mqtt.Client, u: Any, f: Any, rc: Any, p: Any = None
    ) -> None:
        # unacknowledged messages will be redelivered: acks of this connection are void
        self.generation += 1
        self.connected.clear()
        log.warning("disconnected from the broker (%s); reconnecting", rc)

    def _on_message(self, c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        self.queue.put((msg.topic, msg.payload, msg.mid, self.generation))

    def start(self, timeout: float = 10.0) -> None:
        """Connect, subscribe and wait for the broker to confirm."""
        connect(self.client, self.broker)
        if not self.subscribed.wait(timeout):
            raise KiwerkError(f"no SUBACK from the broker in {timeout} s")

    def _ack(self, mid: int, generation: int) -> Callable[[], None]:
        def ack() -> None:
            if generation == self.generation:
                self.client.ack(mid, 1)

        return ack

    def drain(self, max_messages: int = 20_000, timeout: float = 0.05) -> int:
        """Hand up to ``max_messages`` waiting messages to ``handle``."""
        n = 0
        try:
            item = self.queue.get(timeout=timeout)
        except queue.Empty:
            return 0
        get = self.queue.get_nowait
        handle = self.handle
        while True:
            topic, payload, mid, gen = item
            handle(topic, payload, self._ack(mid, gen))
            n += 1
            if n >= max_messages:
                return n
            try:
                item = get()
            except queue.Empty:
                return n

    def stop(self) -> None:
        """Disconnect (the session and its unacknowledged messages stay)."""
        self.client.disconnect()
        self.client.loop_stop()


def run_listener(
    listener: MqttListener,
    step: Callable[[], object],
    stop: threading.Event,
    duration: float | None = None,
) -> None:
    """Drain and ``step`` (score, flush) until ``stop`` is set or time is up."""
    end = None if duration is None else time.monotonic() + duration
    while not stop.is_set() and (end is None or time.monotonic() < end):
        listener.drain()
        step()


__all__ = ["SESSION_EXPIRY_S", "MqttListener", "connect", "make_client", "run_listener"]
