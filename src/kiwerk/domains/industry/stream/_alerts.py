"""Alerts with reasons: to an MQTT topic, a webhook and the log.

An :class:`Alert` carries the machine, the time, the score against its
threshold, the sensors that drove it (their share of the score) and the
recommended action. :class:`AlertRouter` de-duplicates (one alert per machine
and kind within ``min_interval_s``) and rate-limits (at most
``max_per_minute`` in any minute, the excess counted as suppressed) before it
hands an alert to its channels. The webhook is posted from a worker thread so
that a slow receiver never stalls scoring.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import httpx

log = logging.getLogger(__name__)

ACTIONS = {
    "anomaly": "Inspect {machine}: check {sensors} first; "
    "plan maintenance if it persists.",
    "sensor_drift": "Recalibrate or replace sensor {sensors} on {machine}; "
    "its baseline was re-estimated automatically.",
    "rul": "Plan maintenance of {machine} before its remaining useful life runs "
    "out; degradation is driven by {sensors}.",
    "failure_risk": "Stop or inspect {machine}: the failure model's risk is high, "
    "driven by {sensors}.",
}


@dataclass(frozen=True)
class Alert:
    """One alert.

    Attributes
    ----------
    machine
        The machine's name.
    time
        The reading's timestamp (epoch seconds).
    kind
        ``anomaly`` (the machine left its normal state), ``sensor_drift``,
        ``rul`` (the registered RUL model's interval fell below its limit) or
        ``failure_risk`` (the registered failure model's probability rose).
    score, threshold
        The detector's statistic (or the model's value) and its limit.
    sensors
        The sensors that drove it with their share of the score, largest first.
    action
        What an engineer should do.
    prediction
        The registered model's newest prediction for the machine, e.g.
        ``rul``, ``rul_lower``, ``rul_upper`` (the 90 % interval) and
        ``model_version``; empty without a model.
    """

    machine: str
    time: float
    kind: str
    score: float
    threshold: float
    sensors: tuple[tuple[str, float], ...]
    action: str
    prediction: tuple[tuple[str, float], ...] = ()

    def to_json(self) -> str:
        """The alert as a JSON object."""
        body = asdict(self)
        body["sensors"] = [{"sensor": s, "share": round(v, 4)} for s, v in self.sensors]
        body["prediction"] = dict(self.prediction)
        return json.dumps(body)

    def with_prediction(self, prediction: tuple[tuple[str, float], ...]) -> Alert:
        """The same alert carrying a model's prediction."""
        return replace(self, prediction=prediction)


def make_alert(
    machine: str,
    time_: float,
    kind: str,
    score: float,
    threshold: float,
    sensors: tuple[tuple[str, float], ...],
) -> Alert:
    """Build an alert with the recommended action for its kind."""
    names = ", ".join(s for s, _ in sensors) or "all sensors"
    action = ACTIONS[kind].format(machine=machine, sensors=names)
    return Alert(machine, time_, kind, score, threshold, sensors, action)


class _Webhook:
    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.failed = 0
        self.sent = 0
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=1000)
        self._client = httpx.Client(timeout=timeout)
        self._thread = threading.Thread(
            target=self._run, name="kiwerk-webhook", daemon=True
        )
        self._thread.start()

    def __call__(self, alert: Alert) -> None:
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.failed += 1
            log.warning("webhook queue full; alert for %s dropped", alert.machine)

    def _run(self) -> None:
        while (alert := self._queue.get()) is not None:
            try:
                resp = self._client.post(
                    self.url,
                    content=alert.to_json(),
                    headers={"content-type": "application/json"},
                )
                resp.raise_for_status()
                self.sent += 1
            except httpx.HTTPError as exc:
                self.failed += 1
                log.warning("webhook %s failed: %s", self.url, exc)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._client.close()


class AlertRouter:
    """De-duplicate, rate-limit and deliver alerts.

    Parameters
    ----------
    publish
        Called with ``(topic, payload)`` to publish on MQTT; ``None`` skips MQTT.
    topic
        The MQTT topic for alerts.
    webhook
        URL to POST each alert to as JSON; ``None`` skips it.
    min_interval_s
        Least time between two alerts of one kind for one machine.
    max_per_minute
        Most alerts delivered in any 60 s.
    clock
        Wall clock (seconds), replaceable for tests of the rate limit.
    """

    def __init__(
        self,
        *,
        publish: Callable[[str, str], None] | None = None,
        topic: str | None = "kiwerk/alerts",
        webhook: str | None = None,
        min_interval_s: float = 60.0,
        max_per_minute: int = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.publish = publish
        self.topic = topic
        self.webhook = _Webhook(webhook) if webhook else None
        self.min_interval_s = min_interval_s
        self.max_per_minute = max_per_minute
        self.clock = clock
        self.delivered: list[Alert] = []
        self.deduplicated = 0
        self.rate_limited = 0
        self._last: dict[tuple[str, str], float] = {}
        self._recent: deque[float] = deque()

    def send(self, alert: Alert) -> bool:
        """Deliver the alert unless it repeats one or exceeds the rate; say which."""
        now = self.clock()
        key = (alert.machine, alert.kind)
        last = self._last.get(key)
        if last is not None and now - last < self.min_interval_s:
            self.deduplicated += 1
            return False
        while self._recent and now - self._recent[0] >= 60.0:
            self._recent.popleft()
        if len(self._recent) >= self.max_per_minute:
            self.rate_limited += 1
            log.warning(
                "alert rate limit reached; alert for %s suppressed", alert.machine
            )
            return False
        self._last[key] = now
        self._recent.append(now)
        self.delivered.append(alert)
        if len(self.delivered) > 1000:
            del self.delivered[:500]  # bounded memory in a long run
        log.warning(
            "ALERT %s %s at %.3f score %.2f vs %.2f, sensors %s%s: %s",
            alert.kind,
            alert.machine,
            alert.time,
            alert.score,
            alert.threshold,
            ", ".join(f"{s} ({v:.0%})" for s, v in alert.sensors),
            "".join(f", {k} {v:g}" for k, v in alert.prediction),
            alert.action,
        )
        if self.publish is not None and self.topic:
            self.publish(self.topic, alert.to_json())
        if self.webhook is not None:
            self.webhook(alert)
        return True

    def close(self) -> None:
        """Finish posting queued webhook calls."""
        if self.webhook is not None:
            self.webhook.close()


__all__ = ["ACTIONS", "Alert", "AlertRouter", "make_alert"]
