"""Browser tests across pages: phone width, keyboard navigation, skip link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

#: Pages with data, each with a user who sees it: (path, user, screenshot name).
PAGES = [
    ("/ui/", "ada", "overview"),
    ("/ui/pool/pumps", "ada", "dataset"),
    ("/ui/audit", "ada", "audit"),
    ("/ui/models/industry-failure", "ida", "model"),
    ("/ui/pilots", "ida", "pilots"),
    ("/ui/pilots/line-3", "ida", "pilot"),
    ("/ui/readiness", "ana", "readiness"),
]


@pytest.mark.parametrize(("path", "user", "name"), PAGES, ids=[p[2] for p in PAGES])
def test_pages_fit_a_phone(
    phone: Any,
    login: Callable[..., None],
    check_page: Callable[..., Any],
    path: str,
    user: str,
    name: str,
) -> None:
    """At 390 px no page scrolls sideways, and axe finds nothing critical."""
    login(phone, user, next_path=path)
    phone.locator("main table, main form, main .card").first.wait_for()
    assert phone.locator("main .error[role=alert]:visible").count() == 0
    check_page(phone, f"phone-{name}")
    overflow = phone.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 1, f"{path} is {overflow} px wider than the phone"


def test_keyboard_reaches_nav_and_forms(page: Any, login: Callable[..., None]) -> None:
    """Tab moves from the skip link through the main nav to the page's form."""
    page.goto("/ui/login")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == (
        "Skip to content"
    )
    seen = []
    for _ in range(6):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("() => document.activeElement.id"))
    assert "username" in seen
    assert "password" in seen
    login(page, "ana", next_path="/ui/pilots")
    page.get_by_role("table", name="Tracked pilots of acme").wait_for()
    names = []
    for _ in range(40):
        page.keyboard.press("Tab")
        names.append(
            page.evaluate(
                "() => [document.activeElement.closest('nav') ? 'nav' : '',"
                " document.activeElement.textContent.trim(),"
                " document.activeElement.id].join('|')"
            )
        )
    assert "nav|Data pool|" in names
    assert "nav|Readiness check|" in names
    assert any(n.endswith("|p-name") for n in names), names
    page.keyboard.press("Shift+Tab")
    page.get_by_label("Name", exact=True).focus()
    page.keyboard.press("Enter")
    page.locator("#pilot-form-error").get_by_text("Fill in").wait_for()


def test_skip_link_moves_focus_to_main(page: Any, login: Callable[..., None]) -> None:
    """Activating the skip link with the keyboard puts focus on the main region."""
    login(page, "vic")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
