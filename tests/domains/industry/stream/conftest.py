"""Fixtures for the streaming tests.

- ``broker``: a real mosquitto on a free loopback port with a temporary config
  and persistence folder, stopped after the test (skipped when mosquitto is
  not installed: ``scripts/system-packages`` installs it).
- ``webhook``: a local ``http.server`` on 127.0.0.1 that records the JSON bodies
  POSTed to it.
- ``monitor_thread``: starts :func:`run_monitor` in a thread and stops it.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kiwerk.domains.industry.stream import (
    LineConfig,
    LocalBroker,
    MonitorParams,
    MonitorStats,
    run_monitor,
)


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
