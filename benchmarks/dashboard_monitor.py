"""Does the live line monitor page keep up with 100 machines at 1 update/s each?

A real mosquitto carries 100 C-MAPSS engines replayed by the line simulator
at real time (one sensor vector per engine per second: 100 updates/s, the
offered rate, measured from the simulator's own count in the same run). A
kiwerk server whose live line is that broker serves the dashboard; headless
chromium logs in and opens ``/ui/line``. After a warm-up, the page's own
counters (``window.kiwerkLine``) are sampled once a second for ``--seconds``:
updates received over the event stream, updates drawn, the queue of updates
not yet drawn (the backlog), and the ``line-render`` measures of the
browser's performance timeline (one per drawing pass).

- ``monitor_updates_per_s``: updates drawn per second over the window;
- ratio to the offered rate (1.0: the page keeps up); the backlog at each
  sample (a growing backlog means the browser falls behind); p50/p95/max
  milliseconds of a drawing pass and passes per second.

Run: ``PYTHONPATH=src python -m benchmarks.dashboard_monitor [--seconds 30]``
(merges its keys into ``benchmarks/results/dashboard.json``);
:func:`monitor_updates_per_s` is the hook ``benchmarks/dashboard.py`` calls.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import uvicorn

from benchmarks._common import load, machine
from benchmarks._merge import write_results

PASSWORD = "benchmark password 1"
CHROMIUM = Path(os.environ.get("KIWERK_CHROMIUM", "/usr/bin/chromium"))


def _serve(
    home: Path, line_config: Path
) -> tuple[str, uvicorn.Server, threading.Thread]:
    from kiwerk.core.auth import PasswordParams, bootstrap_owner
    from kiwerk.interfaces.api import ApiParams, create_app
    from kiwerk.settings import Settings

    settings = Settings(
        home=home,
        secret_key="benchmark-secret-key-0123456789",
        download=False,
        line_config=line_config,
        line_org="plant",
    )
    params = ApiParams(passwords=PasswordParams(time_cost=1, memory_kib=8192))
    app = create_app(settings, params)
    s = app.state.services
    bootstrap_owner(
        s.pool, s.store, s.hasher, org="plant", user="ada", password=PASSWORD
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


def _browse(url: str, machines: int, seconds: float, warmup: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        page = browser.new_page(base_url=url, viewport={"width": 1280, "height": 800})
        page.goto("/ui/login?next=/ui/line")
        page.fill("#username", "ada")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector(f".machine >> nth={machines - 1}")
        time.sleep(warmup)
        page.evaluate("performance.clearMeasures('line-render')")
        samples = []
        start = time.monotonic()
        while time.monotonic() - start < seconds + 0.5:
            stats = page.evaluate("({...window.kiwerkLine})")
            samples.append((time.monotonic() - start, stats))
            time.sleep(1.0)
        renders = page.evaluate(
            "performance.getEntriesByName('line-render').map(e => e.duration)"
        )
        browser.close()
    (t0, s0), (t1, s1) = samples[0], samples[-1]
    backlog = [s["backlog"] for _, s in samples]
    return {
        "monitor_updates_per_s": round(
            (s1["rendered"] - s0["rendered"]) / (t1 - t0), 1
        ),
        "received_updates_per_s": round(
            (s1["received"] - s0["received"]) / (t1 - t0), 1
        ),
        "backlog_samples": backlog,
        "backlog_max": max(backlog),
        "render_passes_per_s": round(len(renders) / (t1 - t0), 1),
        "render_ms_p50": round(statistics.median(renders), 3) if renders else None,
        "render_ms_p95": round(float(np.percentile(renders, 95)), 3)
        if renders
        else None,
        "render_ms_max": round(max(renders), 3) if renders else None,
        "window_s": round(t1 - t0, 1),
    }


def measure(
    machines: int = 100, seconds: float = 30.0, warmup: float = 5.0
) -> dict[str, Any]:
    """Run broker, simulator, server and browser; the page's figures."""
    from kiwerk.domains.industry.stream import (
        BrokerConfig,
        LineSimulator,
        LocalBroker,
        cmapss_recordings,
        write_line_config,
    )
    from kiwerk.settings import Settings

    recordings = cmapss_recordings(Settings().data / "cmapss", n_machines=machines)
    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalBroker(Path(tmp) / "broker") as broker,
    ):
        sim = LineSimulator(
            recordings, BrokerConfig("127.0.0.1", broker.port, "bench-sim"), speed=1.0
        )
        config = Path(tmp) / "line.toml"
        write_line_config(sim.line_config(), config)
        url, server, thread = _serve(Path(tmp) / "home", config)
        stop = threading.Event()
        reports: list[Any] = []
        runner = threading.Thread(
            target=lambda: reports.append(sim.run(stop=stop)), daemon=True
        )
        try:
            runner.start()
            figures = _browse(url, machines, seconds, warmup)
        finally:
            stop.set()
            runner.join(timeout=30)
            server.should_exit = True
            thread.join(timeout=30)
    report = reports[0]
    offered = report.messages / report.elapsed_s
    figures["offered_updates_per_s"] = round(offered, 1)
    figures["ratio"] = round(figures["monitor_updates_per_s"] / offered, 3)
    figures["machines"] = machines
    return figures


def monitor_updates_per_s(server_url: str | None = None) -> float | None:
    """Hook of ``benchmarks/dashboard.py``: updates/s the monitor page draws.

    Runs its own line and server (``server_url`` has no live line); ``None``
    where chromium or mosquitto is missing.
    """
    del server_url
    from kiwerk.errors import ConfigError

    if not CHROMIUM.exists():
        return None
    try:
        return float(measure()["monitor_updates_per_s"])
    except ConfigError:  # no mosquitto
        return None


def main() -> None:
    """Measure and merge the figures into ``results/dashboard.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    print(f"machine: {machine()}, {load()} at start")
    figures = measure(args.machines, args.seconds)
    print(
        f"{args.machines} machines at 1 update/s: offered "
        f"{figures['offered_updates_per_s']}/s (baseline, same run), received "
        f"{figures['received_updates_per_s']}/s, drawn "
        f"{figures['monitor_updates_per_s']}/s, ratio {figures['ratio']}; backlog "
        f"max {figures['backlog_max']} (samples {figures['backlog_samples']}); "
        "a drawing "
        f"pass p50 {figures['render_ms_p50']} ms, p95 {figures['render_ms_p95']} ms, "
        f"{figures['render_passes_per_s']} passes/s"
    )
    monitor = {
        "monitor_updates_per_s": figures.pop("monitor_updates_per_s"),
        "monitor": figures,
    }
    print(f"wrote {write_results('dashboard', monitor, merge=True)}")


if __name__ == "__main__":
    main()
