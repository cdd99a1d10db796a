"""Browser tests of logging in and out of the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.interfaces.web.conftest import PASSWORD


def test_login_shows_overview(
    page: Any, login: Callable[..., None], check_page: Callable[..., Any]
) -> None:
    """Logging in through the form opens the overview with data from the API."""
    login(page, "ada")
    assert page.url.endswith("/ui/")
    page.get_by_text("1 datasets of acme").wait_for()
    check_page(page, "overview")


def test_bad_login_shows_inline_message(
    page: Any, check_page: Callable[..., Any]
) -> None:
    """A wrong password leaves the browser on the form with an inline message."""
    page.goto("/ui/login")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Wrong user name or password" in alert.inner_text()
    assert "/ui/login" in page.url
    assert not [c for c in page.context.cookies() if c["name"] == "kiwerk_session"]
    check_page(page, "login-error")


def test_logout_ends_the_session(page: Any, login: Callable[..., None]) -> None:
    """Log out revokes the token: the old cookie no longer opens a page."""
    login(page, "vic")
    old = {c["name"]: c["value"] for c in page.context.cookies()}
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/ui/login")
    page.context.add_cookies(
        [{"name": "kiwerk_session", "value": old["kiwerk_session"], "url": page.url}]
    )
    page.goto("/ui/")
    assert "/ui/login" in page.url
