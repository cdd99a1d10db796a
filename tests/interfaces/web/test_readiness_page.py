"""Browser tests of the readiness check page: questionnaire, radar, exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.interfaces.web.conftest import SCREENSHOTS

#: Option index chosen per dimension (the rest stays at the lowest answer).
PROFILE = {"Data": 3, "Infrastructure": 2, "Skills": 1, "Organisation": 2}


def test_incomplete_answers_show_inline_message(
    page: Any, login: Callable[..., None]
) -> None:
    """Submitting with open questions shows which, and scores nothing."""
    login(page, "ana", next_path="/ui/readiness")
    page.get_by_role("button", name="Score the check").click()
    error = page.locator("#form-error")
    error.wait_for()
    assert "still open" in error.inner_text()
    assert page.locator("#ready-result").is_hidden()


def test_check_draws_radar_and_exports_pdf(
    page: Any,
    login: Callable[..., None],
    check_page: Callable[..., Any],
    tmp_path: Path,
) -> None:
    """A mixed profile: radar drawn from the API's scores, PDF and HTML download."""
    login(page, "ana", next_path="/ui/readiness")
    page.get_by_role("button", name="Fill with the lowest answers").click()
    for dimension, pick in PROFILE.items():
        fieldset = page.get_by_role("group", name=dimension, exact=True)
        for question in fieldset.get_by_role("group").all():
            radios = question.get_by_role("radio")
            radios.nth(min(pick, radios.count() - 1)).check()
    page.get_by_role("button", name="Score the check").click()
    page.get_by_role("heading", name="Maturity profile").wait_for()
    values = page.evaluate(
        "() => Chart.getChart(document.getElementById('ready-radar'))"
        ".data.datasets[0].data"
    )
    scores = page.locator("#ready-scores td:nth-child(2)").all_inner_texts()
    assert [round(v) for v in values] == [int(s) for s in scores]
    assert values[0] == 100
    assert 0 < values[2] < 100
    assert page.locator("#ready-blockers li").count() >= 1
    check_page(page, "readiness")
    page.locator("#ready-result").screenshot(
        path=str(SCREENSHOTS / "readiness-result.png")
    )
    with page.expect_download() as info:
        page.get_by_role("button", name="Export PDF").click()
    pdf = tmp_path / "readiness.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export HTML").click()
    html = tmp_path / "readiness.html"
    info.value.save_as(html)
    assert "Maturity profile" in html.read_text(encoding="utf-8")
