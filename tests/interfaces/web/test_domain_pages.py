"""The fleet RUL, X-ray viewer and mobility pages in the browser, on real data.

One server for the module: ada creates the organisations industry, health
and mobility (vic is a viewer of health), and the RUL, X-ray and forecasting
pilots are trained quickly through the API on the real datasets.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from kiwerk.domains.mobility import (
    EpisodeResult,
    record_signal_results,
    signal_results_path,
)
from tests.interfaces.web.conftest import (
    Api,
    LiveServer,
    _new_page,
    _settings,
    check,
    do_login,
    start_server,
)

pytestmark = pytest.mark.slow
PILOTS = (
    ("industry", "industry-rul"),
    ("health", "health-xray"),
    ("mobility", "mobility-forecast"),
)


def _train(api: Api, pilot: str) -> None:
    job = api.call(
        "ada", "POST", f"/models/{pilot}/train", json={"quick": True, "ingest": True}
    )
    deadline = time.monotonic() + 600
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = api.call("ada", "GET", f"/jobs/{job['job_id']}")
    assert job["status"] == "succeeded", job


@pytest.fixture(scope="module")
def pilots_server(
    tmp_path_factory: pytest.TempPathFactory, web_template: Path, data_dir: Path
) -> Iterator[LiveServer]:
    """The dashboard with the three domain pilots trained (quick) on real data."""
    home = tmp_path_factory.mktemp("pilots-web") / "home"
    shutil.copytree(web_template, home)
    live = start_server(_settings(home, data_dir))
    with httpx.Client(base_url=live.url, timeout=120) as client:
        api = Api(client)
        api.login("ada")
        api.login("ida")
        for org, pilot in PILOTS:
            if org == "industry":  # the template's, owned by ida
                body = {"name": "ada", "role": "owner"}
                api.call("ida", "POST", "/orgs/industry/users", json=body)
            else:
                api.call("ada", "POST", "/orgs", json={"name": org})
            _train(api, pilot)
        api.call(
            "ada", "POST", "/orgs/health/users", json={"name": "vic", "role": "viewer"}
        )
    runs = [
        EpisodeResult("cologne8", c, 0, d, 1400, np.zeros(0), np.zeros(0))
        for c, d in (("fixed", 61.2), ("max_pressure", 24.0), ("adaptive", 19.5))
    ]
    record_signal_results(runs, 3600, signal_results_path(home))
    yield live
    live.stop()


def _open(
    browser: Any, live: LiveServer, user: str, org: str, path: str, width: int = 1280
) -> tuple[Any, Any]:
    context, page = _new_page(browser, live, width, 800 if width > 500 else 844)
    context.add_cookies([{"name": "kiwerk_org", "value": org, "url": live.url}])
    do_login(page, user, next_path=path)
    return context, page


def _until(page: Any, expression: str, timeout: float = 30.0) -> None:
    """Poll a JavaScript expression until it is true (the page's CSP forbids
    the eval behind ``wait_for_function``)."""
    end = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < end, f"never true: {expression}"
        time.sleep(0.1)


def _fits(page: Any, width: int) -> None:
    """No horizontal scrolling of the page itself."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_fleet_page_charts_intervals_and_compares_policies(
    browser: Any, pilots_server: LiveServer
) -> None:
    """The fleet chart is drawn; the policy table has the three policies."""
    context, page = _open(browser, pilots_server, "ada", "industry", "/ui/fleet")
    try:
        page.wait_for_selector("#policy-table table")
        assert "100 engines" in page.locator("#fleet-summary").inner_text()
        rows = page.locator("#policy-table tbody tr").all_inner_texts()
        assert [r.split("\t")[0] for r in rows] == [
            "run-to-failure",
            "fixed-interval",
            "predictive",
        ]
        assert page.locator("#soon-table tbody tr").count() == 10
        assert (
            page.evaluate("Chart.getChart('rul-chart').data.datasets[0].data.length")
            == 100
        )
        check(page, "fleet")
    finally:
        context.close()
    context, page = _open(browser, pilots_server, "ada", "industry", "/ui/fleet", 390)
    try:
        page.wait_for_selector("#policy-table table")
        _fits(page, 390)
        check(page, "fleet-phone")
    finally:
        context.close()


def test_xray_viewer_shows_heat_map_and_records_a_review(
    browser: Any, pilots_server: LiveServer
) -> None:
    """Open a case, see its overlay, override it; the audit-logged review shows."""
    context, page = _open(browser, pilots_server, "ada", "health", "/ui/xray")
    try:
        page.wait_for_selector("#xray-case:not([hidden])")
        page.locator("#xray-cases button[data-index='4']").click()
        _until(page, "document.getElementById('case-title').textContent === 'Case 4'")
        overlay = page.locator("#xray-overlay")
        _until(page, "document.getElementById('xray-overlay').naturalWidth > 100")
        assert overlay.get_attribute("src") == "/xray/cases/4/overlay.png"
        facts = page.locator("#xray-facts").inner_text()
        assert "p(pneumonia), calibrated" in facts
        assert "Abstain" in facts
        page.get_by_label("Override with my finding").check()
        page.get_by_role("button", name="Record review").click()
        assert "Choose your finding" in page.locator("#review-error").inner_text()
        page.get_by_label("Finding (to override)").select_option("pneumonia")
        page.get_by_label("Note").fill("left lower lobe")
        page.get_by_role("button", name="Record review").click()
        _until(
            page,
            "document.getElementById('xray-reviews').textContent"
            ".includes('ada: override')",
        )
        assert "left lower lobe" in page.locator("#xray-reviews").inner_text()
        check(page, "xray")
    finally:
        context.close()
    context, page = _open(browser, pilots_server, "vic", "health", "/ui/xray", 390)
    try:
        page.wait_for_selector("#xray-case:not([hidden])")
        assert page.locator("#review-form").is_hidden()
        assert page.locator("#review-viewer").is_visible()
        _fits(page, 390)
        check(page, "xray-phone")
    finally:
        context.close()


def test_mobility_page_draws_forecast_signals_and_the_tour_map(
    browser: Any, pilots_server: LiveServer
) -> None:
    """Forecast chart, signal table and the tours drawn on Aachen's streets."""
    context, page = _open(browser, pilots_server, "ada", "mobility", "/ui/mobility")
    try:
        page.wait_for_selector("#tours-map svg", timeout=120_000)
        assert page.locator("#tours-map polyline.tour").count() >= 1
        assert page.locator("#tours-map circle.stop").count() >= 30
        assert page.locator("#tours-map rect.hub").count() == 2
        page.wait_for_selector("#signals-table table")
        assert "adaptive" in page.locator("#signals-table").inner_text()
        _until(
            page,
            "document.getElementById('forecast-summary').textContent.includes('RMSE')",
        )
        page.locator("#forecast-minutes").select_option("60")
        _until(
            page,
            "document.getElementById('forecast-summary').textContent"
            ".includes('60 minutes')",
        )
        check(page, "mobility")
    finally:
        context.close()
    context, page = _open(
        browser, pilots_server, "ada", "mobility", "/ui/mobility", 390
    )
    try:
        page.wait_for_selector("#tours-map svg", timeout=120_000)
        _fits(page, 390)
        check(page, "mobility-phone")
    finally:
        context.close()
