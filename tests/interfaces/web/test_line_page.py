"""The live line monitor in the browser: an alert from the simulator appears.

A real mosquitto carries a simulated line; ``kiwerk monitor``'s
:func:`run_monitor` scores it; the dashboard server's feed hears readings and
alerts and pushes them to the page over server-sent events. The page is open
before the fault is injected, so the alert can only arrive without a reload.
A second line of real C-MAPSS engines, scored by a registered RUL model,
shows each engine's remaining useful life with its 90 % interval, updating.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiwerk.core.models import ModelRegistry
from kiwerk.core.monitor import MewmaParams
from kiwerk.datasets import load_cmapss
from kiwerk.domains.industry.stream import (
    BrokerConfig,
    Fault,
    LineConfig,
    LineSimulator,
    LocalBroker,
    ModelConfig,
    ModelScorer,
    MonitorParams,
    Recording,
    cmapss_recordings,
    run_monitor,
    write_line_config,
)
from tests.domains.industry.stream.conftest import register_rul_model
from tests.interfaces.web.conftest import (
    LiveServer,
    _new_page,
    _settings,
    do_login,
    run_axe,
    save_screenshot,
    start_server,
)

pytestmark = [pytest.mark.service, pytest.mark.slow]
PARAMS = MonitorParams(
    detector=MewmaParams(n_fit=100, off_count=10), flush_interval_s=0.2
)


def recordings(n: int, rows: int = 400, seed: int = 0) -> list[Recording]:
    """n machines with 4 correlated sensors around one shared load."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        load = rng.normal(size=(rows, 1))
        values = 50 + load * [1.0, 0.8, -0.6, 0.5] + 0.3 * rng.normal(size=(rows, 4))
        out.append(
            Recording(f"press-{i + 1}", ("force", "temp", "flow", "vib"), values)
        )
    return out


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A running mosquitto for the module (skipped without mosquitto)."""
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto not installed (scripts/system-packages installs it)")
    b = LocalBroker(tmp_path_factory.mktemp("broker")).start()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def simulator(broker: LocalBroker) -> LineSimulator:
    """Six machines; press-3 fails at tick 150 (50 s of readings at 5×)."""
    return LineSimulator(
        recordings(6),
        BrokerConfig("127.0.0.1", broker.port, "sim"),
        speed=5,
        faults=(Fault(machine=2, tick=150, size=10.0, n_sensors=1),),
    )


@pytest.fixture(scope="module")
def line_server(
    tmp_path_factory: pytest.TempPathFactory,
    web_template: Path,
    simulator: Any,
    data_dir: Path,
) -> Iterator[LiveServer]:
    """The dashboard whose live line (owned by acme) is the simulator's."""
    folder = tmp_path_factory.mktemp("line-web")
    config = folder / "line.toml"
    write_line_config(simulator.line_config(), config)
    home = folder / "home"
    shutil.copytree(web_template, home)
    settings = _settings(home, data_dir).model_copy(
        update={"line_config": config, "line_org": "acme"}
    )
    live = start_server(settings)
    yield live
    live.stop()


def _run_line(simulator: LineSimulator, store: Path) -> threading.Event:
    """Start the monitor and the simulator in threads; set the event to stop."""
    stop, ready = threading.Event(), threading.Event()
    threading.Thread(
        target=run_monitor,
        args=(simulator.line_config(), store),
        kwargs={"params": PARAMS, "stop": stop, "ready": ready},
        daemon=True,
    ).start()
    assert ready.wait(15)
    threading.Thread(
        target=simulator.run, kwargs={"ticks": 260, "stop": stop}, daemon=True
    ).start()
    return stop


def test_alert_from_the_simulator_appears_without_reload(
    browser: Any, line_server: LiveServer, simulator: LineSimulator, tmp_path: Path
) -> None:
    """Open the monitor, start the line: charts move and press-3's alert shows."""
    context, page = _new_page(browser, line_server, 1280, 800)
    try:
        do_login(page, "ada", next_path="/ui/line")
        page.wait_for_selector(".machine[data-machine='press-6']")
        assert page.locator(".alerts li").count() == 0
        navigations: list[str] = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        stop = _run_line(simulator, tmp_path / "store")
        alert = page.locator(".alerts li[data-machine='press-3']")
        alert.wait_for(timeout=90_000)
        stop.set()
        assert navigations == []  # it came over the stream, not by a reload
        text = alert.inner_text()
        assert "anomaly" in text
        assert "force" in text  # the faulty sensor drives it
        assert "Inspect press-3" in text
        card = page.locator(".machine[data-machine='press-3']")
        assert "alerting" in (card.get_attribute("class") or "")
        stats = page.evaluate("window.kiwerkLine")
        assert stats["rendered"] >= 6 * 150
        assert page.locator(".machine .values").first.inner_text() != "no reading yet"
        save_screenshot(page, "line")
        critical = [v for v in run_axe(page) if v["impact"] == "critical"]
        assert not critical, critical
    finally:
        context.close()


def test_line_page_fits_a_phone_and_is_refused_to_other_orgs(
    browser: Any, line_server: LiveServer
) -> None:
    """At 390 px the page has no horizontal scroll; bob (uni) sees why it is empty."""
    context, page = _new_page(browser, line_server, 390, 844)
    try:
        do_login(page, "vic", next_path="/ui/line")
        page.wait_for_selector(".machine[data-machine='press-1']")
        time.sleep(0.5)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        save_screenshot(page, "line-phone")
        critical = [v for v in run_axe(page) if v["impact"] == "critical"]
        assert not critical, critical
    finally:
        context.close()
    context, page = _new_page(browser, line_server, 1280, 800)
    try:
        do_login(page, "bob", next_path="/ui/line")
        error = page.locator("#line-error")
        error.wait_for()
        assert "no live line is visible" in error.inner_text()
    finally:
        context.close()


def _engine_line(
    broker: LocalBroker, data_dir: Path
) -> tuple[LineSimulator, LineConfig]:
    """Four real C-MAPSS engines (10 cycles a second) scored by the RUL model."""
    sim = LineSimulator(
        cmapss_recordings(data_dir / "cmapss", n_machines=4, model_inputs=True),
        BrokerConfig("127.0.0.1", broker.port, "engine-sim"),
        prefix="engines/",
        speed=10,
        faults=(Fault(machine=1, tick=140, size=10.0, n_sensors=6),),
    )
    line = replace(sim.line_config("engine-monitor"), model=ModelConfig("industry-rul"))
    return sim, line


def test_rul_with_its_interval_shows_per_engine(
    browser: Any,
    broker: LocalBroker,
    web_template: Path,
    data_dir: Path,
    registry: ModelRegistry,
    tmp_path: Path,
) -> None:
    """Each engine's card shows its RUL and 90 % interval, updated over the stream."""
    train = load_cmapss("FD001", directory=data_dir / "cmapss").train
    served = register_rul_model(registry, train[train["unit"] > 80])  # not replayed
    sim, line = _engine_line(broker, data_dir)
    write_line_config(line, tmp_path / "line.toml")
    home = tmp_path / "home"
    shutil.copytree(web_template, home)
    settings = _settings(home, data_dir).model_copy(
        update={"line_config": tmp_path / "line.toml", "line_org": "acme"}
    )
    live = start_server(settings)
    context, page = _new_page(browser, live, 1280, 800)
    stop, ready = threading.Event(), threading.Event()
    try:
        do_login(page, "ada", next_path="/ui/line")
        page.wait_for_selector(".machine[data-machine='engine-004']")
        sensors = [list(m.sensors) for m in line.machines]
        assert line.model is not None
        scorer = ModelScorer(served, line.machine_names(), sensors, line.model.params)
        threading.Thread(
            target=run_monitor,
            args=(line, tmp_path / "store"),
            kwargs={"params": PARAMS, "stop": stop, "ready": ready, "model": scorer},
            daemon=True,
        ).start()
        assert ready.wait(15)
        threading.Thread(
            target=sim.run, kwargs={"ticks": 400, "stop": stop}, daemon=True
        ).start()
        rul = page.locator(".machine[data-machine='engine-001'] .rul")
        rul.wait_for(timeout=60_000)
        first = rul.inner_text()
        page.wait_for_function(
            "([n, t]) => window.kiwerkLine.predictions > n && "
            "document.querySelector(\".machine[data-machine='engine-001'] .rul\")"
            ".innerText !== t",
            arg=[page.evaluate("window.kiwerkLine.predictions"), first],
            timeout=60_000,
        )
        page.locator(".alerts li[data-machine='engine-002']").wait_for(timeout=60_000)
        for n in range(1, 5):
            text = page.locator(f".machine[data-machine='engine-00{n}'] .rul")
            found = re.fullmatch(
                r"RUL (\d+) cycles \(90 %: (\d+)–(\d+)\)", text.inner_text()
            )
            assert found, text.inner_text()
            est, low, high = map(int, found.groups())
            assert low <= est <= high
        save_screenshot(page, "line-rul")
        critical = [v for v in run_axe(page) if v["impact"] == "critical"]
        assert not critical, critical
    finally:
        stop.set()
        context.close()
        live.stop()
