"""``/line``: a live line on a real mosquitto, seen through the API.

The simulator publishes a small generated line, ``kiwerk monitor``'s
:func:`run_monitor` scores it and raises an alert on its MQTT topic, and the
API's feed hears both: the readings per machine, the alert with its reasons
(``GET /line/alerts``) and the server-sent events of ``/line/stream``.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from kiwerk.core.monitor import MewmaParams
from kiwerk.domains.industry.stream import (
    BrokerConfig,
    Fault,
    LineSimulator,
    LocalBroker,
    MonitorParams,
    Recording,
    run_monitor,
    write_line_config,
)
from kiwerk.interfaces.api import create_app
from tests.interfaces.api.conftest import FAST, World, _settings

pytestmark = pytest.mark.service
PARAMS = MonitorParams(
    detector=MewmaParams(n_fit=100, off_count=10), flush_interval_s=0.2
)


def wait_until(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``check`` until it holds or ``timeout`` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return check()


def recordings(n: int, rows: int = 300, seed: int = 0) -> list[Recording]:
    """n machines with 3 correlated sensors around one shared load."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        load = rng.normal(size=(rows, 1))
        values = 50 + load * [1.0, 0.8, -0.6] + 0.3 * rng.normal(size=(rows, 3))
        out.append(Recording(f"m{i}", ("a", "b", "c"), values))
    return out


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A running mosquitto on a free loopback port (skipped without mosquitto)."""
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto not installed (scripts/system-packages installs it)")
    b = LocalBroker(tmp_path / "broker").start()
    yield b
    b.stop()


@pytest.fixture
def line(
    tmp_path: Path, broker: LocalBroker, template: tuple[Path, dict[str, Any]]
) -> Iterator[tuple[World, LineSimulator]]:
    """The API world whose line (owned by acme) runs on ``broker``; a simulator."""
    sim = LineSimulator(
        recordings(3),
        BrokerConfig("127.0.0.1", broker.port, "sim"),
        speed=0,
        faults=(Fault(machine=1, tick=200, size=10.0, n_sensors=1),),
    )
    config = tmp_path / "line.toml"
    write_line_config(sim.line_config(), config)
    source, headers = template
    home = tmp_path / "home"
    shutil.copytree(source, home)
    settings = _settings(home, f"sqlite:///{home / 'meta.db'}").model_copy(
        update={"line_config": config, "line_org": "acme"}
    )
    app = create_app(settings, FAST)
    with TestClient(app) as client:
        feed = app.state.line_feed
        assert feed.subscribed.wait(10)
        yield World(client, app.state.services, dict(headers)), sim


def run_line(sim: LineSimulator, store: Path) -> None:
    """Run the monitor while the simulator publishes 300 ticks; stop it after."""
    stop, ready = threading.Event(), threading.Event()
    config = sim.line_config()
    config = replace(config, alerts=replace(config.alerts, min_interval_s=60.0))
    thread = threading.Thread(
        target=run_monitor,
        args=(config, store),
        kwargs={"params": PARAMS, "stop": stop, "ready": ready},
    )
    thread.start()
    try:
        assert ready.wait(15)
        sim.run(ticks=300)
        time.sleep(1.0)
    finally:
        stop.set()
        thread.join(timeout=30)


def test_line_shows_readings_and_the_monitors_alert(
    line: tuple[World, LineSimulator], tmp_path: Path
) -> None:
    """Readings per machine and the monitor's alert with its reasons reach the API."""
    api, sim = line
    run_line(sim, tmp_path / "store")
    ada = api.headers["ada"]

    def alerts() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = api.client.get("/line/alerts", headers=ada).json()
        return found

    assert wait_until(lambda: len(alerts()) >= 1)
    body = api.client.get("/line", headers=ada).json()
    assert body["connected"] is True
    machines = {m["name"]: m for m in body["machines"]}
    assert set(machines) == {"m0", "m1", "m2"}
    assert machines["m0"]["readings"] == 300
    assert machines["m0"]["sensors"] == ["a", "b", "c"]
    assert machines["m0"]["ts"] == sim.start_ts + 299
    np.testing.assert_allclose(machines["m0"]["values"], sim.row(0, 299))
    alert = alerts()[0]
    assert alert["machine"] == "m1"
    assert alert["kind"] == "anomaly"
    assert alert["time"] >= sim.start_ts + 200
    assert alert["sensors"][0]["sensor"] == "a"
    assert "Inspect m1" in alert["action"]
    recent = api.client.get("/line", headers=ada, params={"history": 5}).json()
    m0 = recent["machines"][0]
    assert [t for t, _ in m0["history"]] == [sim.start_ts + t for t in range(295, 300)]
    history = api.client.get("/line/machines/m1", headers=ada).json()
    assert len(history["ts"]) == 120  # the kept window
    assert history["ts"][-1] == sim.start_ts + 299
    assert history["alerts"][0]["machine"] == "m1"


def _events(text: str) -> list[tuple[str, int, Any]]:
    """(event, id, data) of a server-sent event stream."""
    out = []
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line
        )
        if "event" in fields:
            out.append((fields["event"], int(fields["id"]), json.loads(fields["data"])))
    return out


def test_stream_pushes_reading_batches_and_alerts(
    line: tuple[World, LineSimulator], tmp_path: Path
) -> None:
    """The event stream resumed from 0 carries every reading and the alert."""
    api, sim = line
    run_line(sim, tmp_path / "store")
    ada = api.headers["ada"]
    assert wait_until(
        lambda: len(api.client.get("/line/alerts", headers=ada).json()) >= 1
    )
    r = api.client.get("/line/stream", headers=ada, params={"since": 0, "max_s": 0.3})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.text)
    assert events[0][0] == "hello"
    readings = [row for kind, _, data in events if kind == "readings" for row in data]
    assert len(readings) == 900
    assert {row[0] for row in readings} == {"m0", "m1", "m2"}
    assert any(kind == "alert" and data["machine"] == "m1" for kind, _, data in events)
    ids = [i for kind, i, _ in events if kind != "hello"]
    assert ids == sorted(ids)
    # resuming after the last id sends nothing old
    r = api.client.get(
        "/line/stream",
        headers={**ada, "Last-Event-ID": str(ids[-1])},
        params={"max_s": 0.2},
    )
    assert [kind for kind, _, _ in _events(r.text)] == ["hello"]


def test_line_is_invisible_to_other_organisations_and_checks_input(
    line: tuple[World, LineSimulator],
) -> None:
    """Another organisation gets 404; a bad machine or limit is a problem body."""
    api, _ = line
    for path in ("/line", "/line/alerts", "/line/machines/m0", "/line/stream"):
        r = api.client.get(path, headers=api.headers["bob"])
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
    assert api.client.get("/line").status_code == 401
    ada = api.headers["ada"]
    r = api.client.get("/line/machines/nope", headers=ada)
    assert r.status_code == 404
    assert "nope" in r.json()["detail"]
    r = api.client.get("/line/alerts", headers=ada, params={"limit": 0})
    assert r.status_code == 422
    assert r.json()["errors"]
    r = api.client.get("/line/stream", headers=ada, params={"interval_s": 0})
    assert r.status_code == 422


def test_no_line_configured_answers_404(api: World) -> None:
    """Without KIWERK_LINE_CONFIG the line endpoints answer 404 problem details."""
    r = api.client.get("/line", headers=api.headers["ada"])
    assert r.status_code == 404
    assert r.json()["title"] == "Not Found"
