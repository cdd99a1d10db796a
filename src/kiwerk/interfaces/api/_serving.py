"""Served models of the API: loading, caching, prediction log and monitors.

Models come from the same registry and pilot catalog as the CLI
(:mod:`kiwerk.interfaces.cli.pilots`). A loaded model is cached for
``cache_s`` seconds (promotion clears the cache at once). Every prediction is
logged with a keyed hash of its inputs (SipHash keyed from the server
secret; never the inputs themselves) and its
output; the log is written by a background thread in batches, so a request
never waits for the database. Each served version feeds a
:class:`~kiwerk.core.monitor.live.DriftMonitor` whose closed windows are stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kiwerk.core.models import ModelRegistry
from kiwerk.core.monitor.live import (
    AlertDispatcher,
    AlertParams,
    DriftMonitor,
    LiveMonitorParams,
    PerformanceMonitor,
    PerformanceParams,
)
from kiwerk.core.pipeline import DomainPipeline, PilotCatalog
from kiwerk.core.serving import ServedModel
from kiwerk.core.store import MetadataStore

log = logging.getLogger("kiwerk.api")


def out_json_lines(frame: pd.DataFrame) -> list[str]:
    """One JSON object per row (vectorised), for the prediction log.

    Examples
    --------
    >>> out_json_lines(pd.DataFrame({"p": [0.5, 1.0]}))
    ['{"p":0.5}', '{"p":1.0}']
    """
    text = frame.reset_index(drop=True).to_json(orient="records", lines=True)
    return text.splitlines() if text else []


@dataclass(frozen=True)
class _Chunk:
    """The predictions of one request, expanded into log rows at flush time."""

    model: str
    version: int
    org: str
    actor: str
    ts: float
    request: str
    inputs: pd.DataFrame
    outputs: pd.DataFrame

    def rows(
        self, hashes: np.ndarray[Any, Any], lines: list[str]
    ) -> list[dict[str, Any]]:
        return [
            {
                "model": self.model,
                "version": self.version,
                "org": self.org,
                "actor": self.actor,
                "ts": self.ts,
                "input_hash": f"{int(h):016x}",
                "output": out,
                "prediction_id": f"{self.request}-{i}",
            }
            for i, (h, out) in enumerate(zip(hashes, lines, strict=True))
        ]


class ModelService:
    """Registry access, model cache, prediction log and monitors of one app.

    Parameters
    ----------
    catalog
        The pilots the application offers.
    registry
        The model registry.
    store
        Where the prediction log and monitoring windows go.
    secret
        Keys the HMAC of logged inputs.
    monitor
        Window sizes and thresholds of the live drift monitors.
    performance
        Window sizes and thresholds of the ground-truth performance monitors.
    alerts
        Where alerts of closed windows are delivered (always to the log).
    cache_s
        How long a resolved model stays cached.
    max_pending
        Log rows held in memory before the oldest are dropped (counted).
    """

    def __init__(
        self,
        catalog: PilotCatalog,
        registry: ModelRegistry,
        store: MetadataStore,
        *,
        secret: str,
        monitor: LiveMonitorParams | None = None,
        performance: PerformanceParams | None = None,
        alerts: AlertParams | None = None,
        cache_s: float = 30.0,
        max_pending: int = 100_000,
    ) -> None:
        self.catalog = catalog
        self.registry = registry
        self.store = store
        self.monitor_params = monitor or LiveMonitorParams()
        self.cache_s = cache_s
        digest = hashlib.sha256(b"kiwerk-prediction-log:" + secret.encode()).hexdigest()
        self._key16 = digest[:16]  # SipHash key of pandas' keyed row hash
        self._cache: dict[tuple[str, str], tuple[float, ServedModel]] = {}
        self._monitors: dict[tuple[str, int], DriftMonitor] = {}
        self._stored: dict[tuple[str, str, int], float] = {}
        self._pending: deque[_Chunk] = deque()
        self._pending_rows = 0
        self._max_pending = max_pending
        self._performance: dict[str, PerformanceMonitor] = {}
        self.performance_params = performance or PerformanceParams()
        self.alerts = AlertDispatcher(alerts)
        self.dropped = 0
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def pilot(self, name: str) -> DomainPipeline:
        """The pilot called ``name`` (NotFound when unknown)."""
        return self.catalog.get(name)

    def pilots(self) -> list[DomainPipeline]:
        """Every pilot of the catalog."""
        return [self.catalog.get(n) for n in self.catalog.names()]

    def served(self, name: str, ref: str | None) -> ServedModel:
        """The model ``name`` at ``ref`` (version, alias or None), cached."""
        key = (name, ref or "")
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.cache_s:
            return hit[1]
        ref_value: str | int | None = int(ref) if ref and ref.isdigit() else ref
        served = ServedModel.load(self.pilot(name), self.registry, ref_value)
        with self._lock:
            self._cache[key] = (now, served)
        return served

    def forget(self, name: str) -> None:
        """Drop cached versions of ``name`` (after a promotion)."""
        with self._lock:
            for key in [k for k in self._cache if k[0] == name]:
                del self._cache[key]

    def record(
        self,
        served: ServedModel,
        inputs: pd.DataFrame,
        outputs: pd.DataFrame,
        *,
        org: str,
        actor: str,
    ) -> str:
        """Log predictions (hashed inputs) and feed the model's monitors.

        Returns
        -------
        str
            The request id; row ``i``'s prediction id is ``"<id>-<i>"``.
            Hashing, log rows and the drift monitor are done by the
            background flush for all pending requests at once (pandas'
            per-call overhead dominated single-row requests).
        """
        name, version = served.record.name, served.record.version
        request = uuid.uuid4().hex[:20]
        chunk = _Chunk(name, version, org, actor, time.time(), request, inputs, outputs)
        with self._lock:
            self._pending_rows += len(outputs)
            self._pending.append(chunk)
            while self._pending_rows > self._max_pending and len(self._pending) > 1:
                old = self._pending.popleft()
                self._pending_rows -= len(old.outputs)
                self.dropped += len(old.outputs)
            performance = self._performance.setdefault(
                name, PerformanceMonitor(self.performance_params)
            )
        performance.remember(request, version, outputs)
        return request

    def performance(self, name: str) -> PerformanceMonitor:
        """The ground-truth performance monitor of model ``name``."""
        with self._lock:
            return self._performance.setdefault(
                name, PerformanceMonitor(self.performance_params)
            )

    def label(
        self, name: str, items: list[dict[str, Any]], *, actor: str
    ) -> list[dict[str, Any]]:
        """Match ground-truth labels with logged predictions of ``name``.

        A prediction no longer held in memory is looked up in the log.
        Every label is stored (matched or not).
        """
        self.flush()  # so that the log holds every prediction served so far
        perf = self.performance(name)
        results, stamp = [], time.time()
        for item in items:
            pid = item["prediction_id"]
            found = perf.find(pid)
            if found is None:
                logged = self.store.logged(name, pid)
                if logged is not None:
                    found = (int(logged["version"]), json.loads(logged["output"]))
            results.append(
                perf.label(pid, item["label"], output=item.get("output"), found=found)
            )
        self.store.add_outcomes(
            [
                {
                    "model": name,
                    "prediction_id": i["prediction_id"],
                    "label": json.dumps(i["label"]),
                    "actor": actor,
                    "ts": stamp,
                }
                for i in items
            ]
        )
        return results

    def monitor(self, name: str, version: int) -> DriftMonitor | None:
        """The live monitor of one served version, if it served anything."""
        with self._lock:
            return self._monitors.get((name, version))

    def flush(self) -> None:
        """Write pending log rows and newly closed monitor windows now."""
        with self._flush_lock:
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            chunks = list(self._pending)
            self._pending.clear()
            self._pending_rows = 0
        groups: dict[tuple[str, int, tuple[str, ...]], list[_Chunk]] = {}
        for c in chunks:
            key = (c.model, c.version, tuple(map(str, c.inputs.columns)))
            groups.setdefault(key, []).append(c)
        rows: list[dict[str, Any]] = []
        for (name, version, _), group in groups.items():
            rows += self._digest(name, version, group)
        self.store.log_predictions(rows)
        with self._lock:
            monitors = list(self._monitors.items())
            performance = list(self._performance.items())
        for (name, version), monitor in monitors:
            for window in self._new(("drift", name, version), monitor.windows()):
                self.store.add_window(name, version, window)
                self.alerts.dispatch(name, version, "drift", window)
        for name, perf in performance:
            for window in self._new(("performance", name, 0), perf.windows()):
                version = window["versions"][-1]
                self.store.add_window(name, version, window)
                self.alerts.dispatch(name, version, "performance", window)

    def _digest(
        self, name: str, version: int, group: list[_Chunk]
    ) -> list[dict[str, Any]]:
        """Hash, log rows and drift counts of one model's pending requests."""
        inputs = pd.concat([c.inputs for c in group], ignore_index=True)
        outputs = pd.concat([c.outputs for c in group], ignore_index=True)
        hashes = pd.util.hash_pandas_object(
            inputs, index=False, hash_key=self._key16
        ).to_numpy()
        lines = out_json_lines(outputs)
        rows: list[dict[str, Any]] = []
        start = 0
        for c in group:
            end = start + len(c.outputs)
            rows += c.rows(hashes[start:end], lines[start:end])
            start = end
        with self._lock:
            monitor = self._monitors.setdefault(
                (name, version), DriftMonitor(self.monitor_params)
            )
        monitor.update(inputs, outputs)
        return rows

    def _new(
        self, key: tuple[str, str, int], windows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The windows closed since the last flush (by end time)."""
        last = self._stored.get(key, 0.0)
        fresh = [w for w in windows if w["end"] > last]
        if fresh:
            self._stored[key] = fresh[-1]["end"]
        return fresh

    def start(self, every_s: float = 0.5) -> None:
        """Flush in a background thread every ``every_s`` seconds."""

        def loop() -> None:
            while not self._stop.wait(every_s):
                try:
                    self.flush()
                except Exception:  # keep serving; the log says why
                    log.exception("could not write the prediction log")

        self._thread = threading.Thread(target=loop, name="kiwerk-log", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread and flush what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()


__all__ = ["ModelService"]
