"""Browser tests of the data pool pages: datasets, versions, quality, grants, audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_pool_lists_own_and_granted(
    page: Any, login: Callable[..., None], check_page: Callable[..., Any]
) -> None:
    """The pool page lists acme's dataset with its versions and the caller's access."""
    login(page, "ada", next_path="/ui/pool")
    own = page.get_by_role("table", name="Datasets of acme")
    own.get_by_role("link", name="pumps").wait_for()
    assert "owner" in own.inner_text()
    check_page(page, "pool")


def test_dataset_shows_versions_quality_and_grants(
    page: Any, login: Callable[..., None], check_page: Callable[..., Any]
) -> None:
    """The dataset page shows version 1, its quality report and the grant to uni."""
    login(page, "ada", next_path="/ui/pool/pumps")
    columns = page.get_by_role("table", name="Columns of version 1")
    columns.wait_for()
    assert "personal" in columns.get_by_role("row", name="operator").inner_text()
    assert "Passed" in page.locator("#ds-quality").inner_text()
    grants = page.get_by_role("table", name="Organisations granted pumps")
    grants.get_by_role("cell", name="uni", exact=True).wait_for()
    check_page(page, "dataset")


def test_grant_to_unknown_org_is_refused_inline(
    page: Any, login: Callable[..., None]
) -> None:
    """Granting to an organisation that does not exist shows the API's problem."""
    login(page, "ada", next_path="/ui/pool/pumps")
    page.get_by_label("Organisation to grant").fill("nosuchorg")
    page.get_by_role("button", name="Grant", exact=True).click()
    error = page.locator("#grant-error")
    error.wait_for()
    assert "404" in error.inner_text()
    grants = page.get_by_role("table", name="Organisations granted pumps")
    assert "nosuchorg" not in grants.inner_text()


def test_audit_trail_for_owners(
    page: Any, login: Callable[..., None], check_page: Callable[..., Any]
) -> None:
    """An owner reads the audit trail and verifies the hash chain."""
    login(page, "ada", next_path="/ui/audit")
    entries = page.get_by_role("table", name="Audit entries, newest first")
    entries.get_by_role("cell", name="create_dataset").first.wait_for()
    page.get_by_role("button", name="Verify the chain").click()
    page.get_by_text("Chain intact").wait_for()
    check_page(page, "audit")


def test_audit_trail_hidden_from_viewers(
    page: Any, login: Callable[..., None], check_page: Callable[..., Any]
) -> None:
    """A viewer has no audit link in the navigation and gets a 403 page."""
    login(page, "vic")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Data pool").is_visible()
    assert nav.get_by_role("link", name="Audit trail").count() == 0
    response = page.goto("/ui/audit")
    assert response.status == 403
    assert "403 Forbidden" in page.get_by_role("alert").inner_text()
    check_page(page, "audit-forbidden")
