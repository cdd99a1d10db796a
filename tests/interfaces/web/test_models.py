"""Browser tests of the models pages: card, monitoring charts, promotion by role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MODEL = "/ui/models/industry-failure"


def test_models_list(
    page: Any, login: Callable[..., None], check_page: Callable[..., Any]
) -> None:
    """The models page lists industry's failure model with its version."""
    login(page, "ida", next_path="/ui/models")
    table = page.get_by_role("table", name="Models of industry")
    table.get_by_role("link", name="industry-failure").wait_for()
    check_page(page, "models")


def test_model_card_and_drift_chart(
    page: Any, login: Callable[..., None], check_page: Callable[..., Any]
) -> None:
    """The model page shows the card, versions and drift windows with alerts."""
    login(page, "ida", next_path=MODEL)
    page.get_by_role("table", name="Registered versions of industry-failure").wait_for()
    windows = page.get_by_role("table", name="Newest monitoring windows")
    windows.wait_for()
    assert "Torque [Nm]" in windows.inner_text()
    drawn = page.evaluate(
        "() => Chart.getChart(document.getElementById('drift-chart'))"
        ".data.datasets.length"
    )
    assert drawn >= 6
    check_page(page, "model")


def test_viewer_is_refused_promotion_inline(
    page: Any, login: Callable[..., None], check_page: Callable[..., Any]
) -> None:
    """A viewer's promote click comes back 403 from the API, shown inline."""
    login(page, "vic", next_path=MODEL)
    page.get_by_role("button", name="Promote v1").click()
    error = page.locator("#promote-error")
    error.wait_for()
    assert error.inner_text().startswith("403 Forbidden")
    versions = page.get_by_role("table", name="Registered versions of industry-failure")
    assert "production" not in versions.inner_text()
    check_page(page, "model-viewer-refused")


def test_owner_promotes(page: Any, login: Callable[..., None]) -> None:
    """An owner's promote click makes v1 production."""
    login(page, "ida", next_path=MODEL)
    page.get_by_role("button", name="Promote v1").click()
    page.get_by_text("v1 is now in production.").wait_for()
    versions = page.get_by_role("table", name="Registered versions of industry-failure")
    versions.get_by_text("in production").wait_for()
