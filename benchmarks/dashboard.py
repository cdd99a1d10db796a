"""Server time of the dashboard's first page render, and the live monitor's rate.

Builds a temporary kiwerk home (organisation, owner, dataset, tracked pilot)
through the API, serves ``create_app`` with uvicorn in a thread on
127.0.0.1, logs in through ``POST /auth/session`` (the browser's way) and
requests every dashboard page ``--rounds`` times with the session cookie:

- ``first_render_ms``: p95 over all pages of the time from sending the
  request to the last byte of the HTML (measured at the client over the
  loopback, so it bounds the server time from above); the median, each
  page's median and the cold first request of each page (templates not yet
  compiled) are written as well, with the handler's own ``Server-Timing``;
- baseline in the same run: ``GET /health``, the API's smallest answer, on
  the same server and connection; the ratio is page time / baseline time.

Pages are shells: their data comes from the JSON API afterwards. Where
Playwright and chromium are installed (``/usr/bin/chromium`` or
``KIWERK_CHROMIUM``), a browser phase also loads every page ``--browser-rounds``
times and reads the navigation timing: time to first byte and the time until
the page's API calls are done (the ``kiwerk:api-idle`` performance mark of
``kiwerk.js``), i.e. until its data is on screen.

``monitor_updates_per_s`` is measured by :mod:`benchmarks.dashboard_monitor`
(the live line page with 100 machines at 1 update/s each).

Run: ``python benchmarks/dashboard.py [--rounds 50]``
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import uvicorn

from benchmarks._common import machine, write_result

PASSWORD = "benchmark password 1"
PUMPS = "ts,machine,temp\n" + "".join(
    f"2024-01-01 00:{i // 60:02d}:{i % 60:02d},M{i % 7},{20 + i % 13 * 0.5}\n"
    for i in range(3000)
)


def _serve(home: Path) -> tuple[str, uvicorn.Server, threading.Thread]:
    from kiwerk.core.auth import PasswordParams, bootstrap_owner
    from kiwerk.interfaces.api import ApiParams, create_app
    from kiwerk.settings import Settings

    settings = Settings(
        home=home, secret_key="benchmark-secret-key-0123456789", download=False
    )
    params = ApiParams(passwords=PasswordParams(time_cost=1, memory_kib=8192))
    app = create_app(settings, params)
    s = app.state.services
    if not s.store.password_hash("ada"):
        bootstrap_owner(
            s.pool, s.store, s.hasher, org="acme", user="ada", password=PASSWORD
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, port=port, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


def _seed(client: httpx.Client) -> None:
    """A dataset with one version, a tracked pilot with iterations, and the
    organisation ``industry`` (the AI4I pilot's, untrained) owned by ada."""
    r = client.post("/auth/token", data={"username": "ada", "password": PASSWORD})
    auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
    client.post("/orgs", headers=auth, json={"name": "industry"})
    client.post("/datasets", headers=auth, json={"name": "pumps", "org": "acme"})
    files = {"file": ("pumps.csv", PUMPS.encode(), "text/csv")}
    client.post("/datasets/pumps/versions", headers=auth, files=files)
    pilot = {
        "name": "line-3",
        "organisation": "acme",
        "use_case": "failure-prediction",
        "kpi": "unplanned downtime",
        "unit": "h/month",
        "direction": "lower",
        "baseline": 40.0,
        "goal": 30.0,
    }
    client.post("/pilots", headers=auth, json=pilot)
    for value in (37.0, 33.5, 30.5):
        it = {"kpi_value": value}
        client.post("/pilots/line-3/iterations", headers=auth, json=it)


def _pages() -> list[str]:
    from kiwerk.interfaces.web import PAGES

    fill = {"name": "pumps"}
    urls = []
    for page in PAGES:
        url = page.url.replace("{name}", fill["name"])
        if page.path.startswith("/pilots/"):
            url = page.url.replace("{name}", "line-3")
        if page.path.startswith("/models/"):
            url = page.url.replace("{name}", "industry-failure")
        urls.append(url)
    return urls


def _time(client: httpx.Client, url: str) -> tuple[float, float]:
    """(client ms, server-render ms) of one GET."""
    start = time.perf_counter()
    r = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    if r.status_code != 200:
        raise RuntimeError(f"GET {url}: {r.status_code} {r.text[:200]}")
    match = re.search(r"render;dur=([0-9.]+)", r.headers.get("server-timing", ""))
    return elapsed, float(match.group(1)) if match else float("nan")


def monitor_updates_per_s(server_url: str) -> float | None:
    """Updates per second the live line page draws (100 machines at 1/s each).

    Measured by :mod:`benchmarks.dashboard_monitor` on its own server with a
    real broker, simulator and monitor (``server_url`` is not needed there).
    """
    from benchmarks.dashboard_monitor import monitor_updates_per_s as measure

    return measure(server_url)


_NAV = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const idle = performance.getEntriesByName("kiwerk:api-idle")[0];
  return [nav.responseStart - nav.requestStart, idle.startTime];
}"""


def browser_timings(url: str, rounds: int) -> dict[str, Any] | None:
    """Per page in chromium: median time to first byte and to data on screen."""
    chromium = Path(os.environ.get("KIWERK_CHROMIUM", "/usr/bin/chromium"))
    if rounds <= 0 or not chromium.exists():
        return None
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    ttfb: list[float] = []
    data: dict[str, list[float]] = {p: [] for p in _pages()}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=args)
        page = browser.new_page(base_url=url, viewport={"width": 1280, "height": 800})
        page.goto("/ui/login")
        page.fill("#username", "ada")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/ui/")
        for _ in range(rounds):
            for path in data:
                page.goto(path)
                page.wait_for_function(
                    "() => performance.getEntriesByName('kiwerk:api-idle').length"
                )
                first_byte, idle = page.evaluate(_NAV)
                ttfb.append(first_byte)
                data[path].append(idle)
        browser.close()
    every = [t for ts in data.values() for t in ts]
    return {
        "browser_ttfb_ms_median": round(statistics.median(ttfb), 2),
        "browser_data_ms_median": round(statistics.median(every), 2),
        "browser_data_ms_p95": round(float(np.percentile(every, 95)), 2),
        "browser_data_ms_per_page": {
            p: round(statistics.median(ts), 2) for p, ts in data.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--browser-rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, server, thread = _serve(Path(tmp) / "home")
        try:
            figures = _measure(url, args.rounds)
            browser = browser_timings(url, args.browser_rounds)
            if browser is not None:
                figures.update(browser)
                print(
                    f"chromium: time to first byte median "
                    f"{browser['browser_ttfb_ms_median']} ms; page data on screen "
                    f"median {browser['browser_data_ms_median']} ms, p95 "
                    f"{browser['browser_data_ms_p95']} ms"
                )
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    path = write_result("dashboard", figures)
    print(f"wrote {path}")


def _measure(url: str, rounds: int) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=60) as client:
        _seed(client)
        r = client.post("/auth/session", json={"username": "ada", "password": PASSWORD})
        r.raise_for_status()
        pages = _pages()
        cold = {p: _time(client, p) for p in pages}
        times: dict[str, list[float]] = {p: [] for p in pages}
        renders: list[float] = []
        health: list[float] = []
        for _ in range(rounds):
            for p in pages:
                ms, render = _time(client, p)
                times[p].append(ms)
                renders.append(render)
                start = time.perf_counter()
                client.get("/health").raise_for_status()
                health.append((time.perf_counter() - start) * 1000)
        monitor = monitor_updates_per_s(url)
    every = [t for ts in times.values() for t in ts]
    p95 = float(np.percentile(every, 95))
    base = statistics.median(health)
    print(f"machine: {machine()}")
    for p in pages:
        print(
            f"{p:28s} cold {cold[p][0]:7.1f} ms  median "
            f"{statistics.median(times[p]):6.1f} ms  p95 "
            f"{np.percentile(times[p], 95):6.1f} ms"
        )
    print(
        f"all pages: median {statistics.median(every):.1f} ms, p95 {p95:.1f} ms "
        f"(render alone median {statistics.median(renders):.1f} ms); baseline "
        f"GET /health median {base:.1f} ms; ratio {statistics.median(every) / base:.1f}"
    )
    print(
        "monitor_updates_per_s: "
        + (
            "not measured (no live monitor page yet)"
            if monitor is None
            else f"{monitor:.0f}"
        )
    )
    return {
        "first_render_ms": round(p95, 2),
        "first_render_ms_median": round(statistics.median(every), 2),
        "first_render_ms_cold_max": round(max(c[0] for c in cold.values()), 2),
        "render_only_ms_median": round(statistics.median(renders), 2),
        "per_page_median_ms": {
            p: round(statistics.median(ts), 2) for p, ts in times.items()
        },
        "baseline_health_ms_median": round(base, 2),
        "ratio": round(statistics.median(every) / base, 2),
        "rounds": rounds,
        "monitor_updates_per_s": monitor,
    }


if __name__ == "__main__":
    main()
