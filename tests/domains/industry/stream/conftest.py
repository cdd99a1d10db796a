"""Fixtures for the streaming tests.

- ``broker``: a real mosquitto on a free loopback port with a temporary config
  and persistence folder, stopped after the test (skipped when mosquitto is
  not installed: ``scripts/system-packages`` installs it).
- ``webhook``: a local ``http.server`` on 127.0.0.1 that records the JSON bodies
  POSTed to it.
- ``monitor_thread``: starts :func:`run_monitor` in a thread and stops it.
- ``served``: a tiny real ``industry-rul`` model (8 synthetic engines), the
  production version in a fresh registry; :func:`register_rul_model` trains
  and registers one on any C-MAPSS-shaped frame (the browser test uses it on
  real engines).
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kiwerk.core.models import ModelRegistry
from kiwerk.core.serving import ServedModel
from kiwerk.domains.industry.rul import RulParams, rul_pilot
from kiwerk.domains.industry.rul._pilot import RulPilotModel
from kiwerk.domains.industry.rul._validate import COLUMNS
from kiwerk.domains.industry.stream import (
    LineConfig,
    LocalBroker,
    MonitorParams,
    MonitorStats,
    load_stream_model,
    run_monitor,
)
from tests.domains.industry.rul.conftest import make_fleet


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A running mosquitto on 127.0.0.1:<free port>, state under tmp_path."""
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto not installed (scripts/system-packages installs it)")
    b = LocalBroker(tmp_path / "broker").start()
    yield b
    b.stop()


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(url, bodies) of a local webhook receiver on 127.0.0.1."""
    received: list[dict[str, Any]] = []
    handler = type("Hook", (_Hook,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


MonitorRunner = Callable[..., tuple[threading.Event, list[MonitorStats]]]


@pytest.fixture
def monitor_thread() -> Iterator[MonitorRunner]:
    """Start run_monitor(config, store, params) in a thread; stopped at teardown."""
    running: list[tuple[threading.Event, threading.Thread]] = []

    def start(
        config: LineConfig, store: Path, params: MonitorParams | None = None
    ) -> tuple[threading.Event, list[MonitorStats]]:
        stop, ready = threading.Event(), threading.Event()
        out: list[MonitorStats] = []

        def target() -> None:
            out.append(
                run_monitor(config, store, params=params, stop=stop, ready=ready)
            )

        thread = threading.Thread(target=target)
        thread.start()
        running.append((stop, thread))
        assert ready.wait(15), "the monitor did not subscribe in time"
        return stop, out

    yield start
    for stop, thread in running:
        stop.set()
        thread.join(timeout=30)


def register_rul_model(registry: ModelRegistry, fleet: pd.DataFrame) -> ServedModel:
    """Train a small industry-rul model on ``fleet``; register it as production."""
    y = fleet.groupby("unit")["cycle"].transform("max") - fleet["cycle"]
    params = RulParams(
        model="ensemble", window=10, steps=30, folds=4, gbm_trees=20, eval_min_cycle=10
    )
    model = RulPilotModel(params, seed=0).fit(fleet[COLUMNS], y.to_numpy(float))
    pilot = rul_pilot("FD001")
    record = registry.register(
        pilot.name,
        model=model,
        seed=0,
        params={},
        metrics={},
        cv_metrics={},
        kpis={},
        datasets=[],
        explanation={},
    )
    assert load_stream_model(pilot, registry) is None  # only a candidate so far
    registry.set_alias(pilot.name, "production", record.version)
    loaded = load_stream_model(pilot, registry)
    assert loaded is not None
    return loaded


@pytest.fixture
def served(registry: ModelRegistry) -> ServedModel:
    """A tiny real industry-rul model, trained on 8 synthetic engines, production."""
    return register_rul_model(registry, make_fleet(8, seed=1))
