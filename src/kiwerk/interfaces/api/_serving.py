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
import logging
import threading
import time
from collections import deque
from typing import Any

import pandas as pd

from kiwerk.core.models import ModelRegistry
from kiwerk.core.monitor.live import DriftMonitor, LiveMonitorParams
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
        Window sizes and thresholds of the live monitors.
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
        self._stored: dict[tuple[str, int], float] = {}
        self._pending: deque[dict[str, Any]] = deque(maxlen=max_pending)
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
    ) -> None:
        """Log predictions (hashed inputs) and feed the model's monitor."""
        name, version = served.record.name, served.record.version
        stamp = time.time()
        hashes = pd.util.hash_pandas_object(
            inputs.reset_index(drop=True), index=False, hash_key=self._key16
        )
        outs = out_json_lines(outputs)
        entries = [
            {
                "model": name,
                "version": version,
                "org": org,
                "actor": actor,
                "ts": stamp,
                "input_hash": f"{int(h):016x}",
                "output": out,
            }
            for h, out in zip(hashes.to_numpy(), outs, strict=True)
        ]
        with self._lock:
            room = self._pending.maxlen or 0
            self.dropped += max(0, len(self._pending) + len(entries) - room)
            self._pending.extend(entries)
            monitor = self._monitors.setdefault(
                (name, version), DriftMonitor(self.monitor_params)
            )
        monitor.update(inputs, outputs)

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
            batch = list(self._pending)
            self._pending.clear()
            monitors = list(self._monitors.items())
        self.store.log_predictions(batch)
        for (name, version), monitor in monitors:
            last = self._stored.get((name, version), 0.0)
            for window in monitor.windows():
                if window["end"] > last:
                    self.store.add_window(name, version, window)
                    self._stored[(name, version)] = last = window["end"]

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
