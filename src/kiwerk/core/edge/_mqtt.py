"""Score rows arriving on an MQTT topic and publish the predictions."""

from __future__ import annotations

import json
import logging
import queue
import time
from dataclasses import dataclass
from typing import Any

from kiwerk.core.edge._runner import EdgeRunner, parse_row
from kiwerk.errors import ConfigError, DataFormatError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MqttParams:
    """Where the edge runner listens and answers.

    Parameters
    ----------
    topic
        Topic (or filter) of incoming rows: a JSON object or a list of them.
    out_topic
        Where predictions go (a JSON list, one record per row); default
        ``<topic>/predictions`` with wildcards removed.
    max_messages
        Stop after this many messages (``None``: run until ``timeout_s``).
    timeout_s
        Stop when nothing arrives for this long (``None``: never).
    """

    host: str = "127.0.0.1"
    port: int = 1883
    topic: str = "kiwerk/edge/in"
    out_topic: str | None = None
    qos: int = 1
    max_messages: int | None = None
    timeout_s: float | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ValueError(f"Expected port in [1, 65535], got {self.port}.")
        if self.qos not in (0, 1, 2):
            raise ValueError(f"Expected qos 0, 1 or 2, got {self.qos}.")

    @property
    def answer_topic(self) -> str:
        """The topic predictions are published to."""
        base = self.topic.replace("/#", "").replace("/+", "").rstrip("/")
        return self.out_topic or f"{base}/predictions"


def _score(runner: EdgeRunner, payload: bytes, topic: str) -> list[dict[str, Any]]:
    text = payload.decode("utf-8", errors="replace")
    if text.lstrip().startswith("["):
        items = json.loads(text)
        if not isinstance(items, list):
            raise DataFormatError("expected a list of rows", source=topic)
        rows = [
            parse_row(json.dumps(i), source=topic, line=n + 1)
            for n, i in enumerate(items)
        ]
    else:
        rows = [parse_row(text, source=topic)]
    return runner.score(rows, source=f"mqtt {topic}")


def serve_mqtt(runner: EdgeRunner, params: MqttParams) -> int:
    """Score messages until ``max_messages`` or ``timeout_s``; the count scored.

    A bad message is answered with ``{"error": ...}`` on the answer topic and
    logged; the runner keeps going.

    Raises
    ------
    ConfigError
        When the broker cannot be reached.
    """
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    inbox: queue.Queue[Any] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="kiwerk-edge")
    client.on_message = lambda c, u, msg: inbox.put(msg)
    client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(
        params.topic, params.qos
    )
    try:
        client.connect(params.host, params.port)
    except OSError as exc:
        raise ConfigError(
            f"cannot reach MQTT broker {params.host}:{params.port}: {exc}"
        ) from exc
    client.loop_start()
    done, last = 0, time.monotonic()
    try:
        while params.max_messages is None or done < params.max_messages:
            try:
                msg = inbox.get(timeout=0.1)
            except queue.Empty:
                if (
                    params.timeout_s is not None
                    and time.monotonic() - last > params.timeout_s
                ):
                    break
                continue
            last = time.monotonic()
            try:
                answer: Any = _score(runner, msg.payload, msg.topic)
            except (DataFormatError, ValueError) as exc:
                log.warning("edge: bad message on %s: %s", msg.topic, exc)
                answer = {"error": str(exc)}
            client.publish(
                params.answer_topic, json.dumps(answer), qos=params.qos
            ).wait_for_publish(5)
            done += 1
    finally:
        client.loop_stop()
        client.disconnect()
    return done


__all__ = ["MqttParams", "serve_mqtt"]
