"""Deliver monitoring alerts once: to the log, a webhook and an MQTT topic.

A window's alerts (drift columns, performance metrics) become alert events
keyed by (model, version, source, name). An event is delivered when its key
is new, or when it was cleared by a window without it and comes back, or
when ``repeat_s`` has passed since it was last sent; otherwise it is
counted as suppressed. Delivery failures are logged and never raised: a
broken webhook must not stop serving.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertParams:
    """Where alerts go and how often one may repeat.

    Parameters
    ----------
    webhook_url
        POSTed a JSON body per alert (``None``: no webhook).
    mqtt_host, mqtt_port, mqtt_topic
        Broker and topic alerts are published to (``None`` host: no MQTT).
    repeat_s
        A still-active alert is sent again after this many seconds.
    timeout_s
        Webhook / broker timeout.
    """

    webhook_url: str | None = None
    mqtt_host: str | None = None
    mqtt_port: int = 1883
    mqtt_topic: str = "kiwerk/alerts"
    repeat_s: float = 3600.0
    timeout_s: float = 3.0

    def __post_init__(self) -> None:
        if self.webhook_url is not None and not self.webhook_url.startswith(
            ("http://", "https://")
        ):
            raise ValueError("webhook_url must be an http(s) URL")
        if self.repeat_s < 0 or self.timeout_s <= 0:
            raise ValueError("repeat_s must be ≥ 0 and timeout_s > 0")


class AlertDispatcher:
    """De-duplicates alert events and delivers them.

    Examples
    --------
    >>> d = AlertDispatcher()
    >>> window = {"end": 1.0, "alerts": ["speed"], "columns": {}}
    >>> first = d.dispatch("m", 1, "drift", window)
    >>> again = d.dispatch("m", 1, "drift", window)
    >>> len(first), len(again)
    (1, 0)
    >>> d.suppressed
    1
    """

    def __init__(self, params: AlertParams | None = None) -> None:
        self.params = params or AlertParams()
        self._active: dict[tuple[str, int, str, str], float] = {}
        self.sent: list[dict[str, Any]] = []
        self.suppressed = 0
        self.failed = 0
        self._lock = threading.Lock()

    def dispatch(
        self, model: str, version: int, source: str, window: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Deliver the new alerts of one closed window; return the events sent."""
        names = [str(n) for n in window.get("alerts", [])]
        now = time.time()
        events = []
        with self._lock:
            for key in [k for k in self._active if k[:3] == (model, version, source)]:
                if key[3] not in names:
                    del self._active[key]  # cleared: a recurrence alerts again
            for name in names:
                key = (model, version, source, name)
                last = self._active.get(key)
                if last is not None and now - last < self.params.repeat_s:
                    self.suppressed += 1
                    continue
                self._active[key] = now
                events.append(_event(model, version, source, name, window))
            self.sent = (self.sent + events)[-100:]
        for event in events:
            self._deliver(event)
        return events

    def _deliver(self, event: dict[str, Any]) -> None:
        log.warning(
            "monitoring alert: %s v%s %s %s %s",
            event["model"],
            event["version"],
            event["source"],
            event["name"],
            json.dumps(event["value"]),
        )
        body = json.dumps(event).encode()
        if self.params.webhook_url:
            try:
                request = urllib.request.Request(
                    self.params.webhook_url,
                    data=body,
                    headers={"Content-Type": "application/json"},
                    method="POST",
                )
                with urllib.request.urlopen(request, timeout=self.params.timeout_s):
                    pass
            except OSError as exc:
                self.failed += 1
                log.error("alert webhook %s failed: %s", self.params.webhook_url, exc)
        if self.params.mqtt_host:
            try:
                import paho.mqtt.publish as publish

                publish.single(
                    self.params.mqtt_topic,
                    body,
                    qos=1,
                    hostname=self.params.mqtt_host,
                    port=self.params.mqtt_port,
                    keepalive=int(max(self.params.timeout_s, 5)),
                )
            except (OSError, ImportError) as exc:
                self.failed += 1
                log.error("alert MQTT publish failed: %s", exc)


def _event(
    model: str, version: int, source: str, name: str, window: dict[str, Any]
) -> dict[str, Any]:
    value = window.get("columns", window.get("metrics", {})).get(name)
    return {
        "model": model,
        "version": version,
        "source": source,
        "name": name,
        "value": value,
        "window_end": window.get("end"),
        "rows": window.get("rows"),
    }


__all__ = ["AlertDispatcher", "AlertParams"]
