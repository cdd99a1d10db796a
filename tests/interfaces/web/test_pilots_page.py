"""Browser tests of the pilot tracker pages: KPI chart, iterations, report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def test_pilot_chart_iterations_and_pdf(
    page: Any,
    login: Callable[..., None],
    check_page: Callable[..., Any],
    tmp_path: Path,
) -> None:
    """The pilot page charts baseline, iterations and goal; the PDF downloads."""
    login(page, "ida", next_path="/ui/pilots/line-3")
    page.get_by_role("table", name="Iterations").get_by_role(
        "cell", name="29.5"
    ).wait_for()
    series = page.evaluate(
        "() => Chart.getChart(document.getElementById('kpi-chart'))"
        ".data.datasets.map(d => d.data)"
    )
    assert series[0] == [40, 37.5, 33, 29.5]
    assert set(series[2]) == {30}
    assert "goal reached" in page.locator("#pilot-summary").inner_text()
    check_page(page, "pilot")
    with page.expect_download() as info:
        page.get_by_role("link", name="One-page report (PDF)").click()
    pdf = tmp_path / "pilot.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_record_iteration_and_bad_input(page: Any, login: Callable[..., None]) -> None:
    """A non-number is refused inline; a number becomes iteration 4."""
    login(page, "ida", next_path="/ui/pilots/line-3")
    page.get_by_role("table", name="Iterations").wait_for()
    page.get_by_role("button", name="Record iteration").click()
    page.locator("#iteration-error").get_by_text("Enter the measured KPI").wait_for()
    page.get_by_role("spinbutton", name="Measured KPI").fill("28.0")
    page.get_by_label("Note").fill("new sensor")
    page.get_by_role("button", name="Record iteration").click()
    table = page.get_by_role("table", name="Iterations")
    table.get_by_role("cell", name="new sensor").wait_for()
    assert table.locator("tbody tr").count() == 4


def test_pilot_list_and_bad_goal(
    page: Any, login: Callable[..., None], check_page: Callable[..., Any]
) -> None:
    """A goal worse than the baseline is refused inline and nothing is stored."""
    login(page, "ida", next_path="/ui/pilots")
    listed = page.get_by_role("table", name="Tracked pilots of industry")
    listed.get_by_role("link", name="line-3").wait_for()
    check_page(page, "pilots")
    for label, value in (
        ("Name", "bad-goal"),
        ("Use case", "failure-prediction"),
        ("Goal KPI", "downtime"),
        ("Unit", "h"),
        ("Baseline", "10"),
        ("Goal", "20"),
    ):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Track pilot").click()
    error = page.locator("#pilot-form-error")
    error.wait_for()
    assert "422" in error.inner_text()
    assert "below the baseline" in error.inner_text()
    page.reload()
    listed.get_by_role("link", name="line-3").wait_for()
    assert listed.get_by_role("link", name="bad-goal").count() == 0


def test_viewer_sees_no_record_form(page: Any, login: Callable[..., None]) -> None:
    """A viewer reads the pilot but gets no form to record iterations."""
    login(page, "vic", next_path="/ui/pilots/line-3")
    page.get_by_role("table", name="Iterations").wait_for()
    assert page.locator("#iteration-form").is_hidden()
