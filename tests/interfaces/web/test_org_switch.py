"""Browser tests of the organisation switch and role-aware navigation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_switching_org_changes_role_and_navigation(
    page: Any, login: Callable[..., None], check_page: Callable[..., Any]
) -> None:
    """ada is owner of acme and viewer of uni: switching hides owner pages."""
    login(page, "ada")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Audit trail").is_visible()
    page.get_by_label("Organisation").select_option("uni")
    page.get_by_role("heading", name="Overview of uni").wait_for()
    assert nav.get_by_role("link", name="Audit trail").count() == 0
    assert page.locator("body").get_attribute("data-role") == "viewer"
    page.get_by_text("0 datasets of uni, 1 granted by others").wait_for()
    check_page(page, "overview-uni")
    page.goto("/ui/pool")
    granted = page.get_by_role("table", name="Granted datasets")
    granted.get_by_role("link", name="pumps").wait_for()


def test_unknown_org_cookie_falls_back(page: Any, login: Callable[..., None]) -> None:
    """An org cookie naming a foreign organisation is ignored, not trusted."""
    login(page, "vic")
    page.context.add_cookies([{"name": "kiwerk_org", "value": "uni", "url": page.url}])
    page.goto("/ui/")
    assert page.locator("body").get_attribute("data-org") == "acme"
