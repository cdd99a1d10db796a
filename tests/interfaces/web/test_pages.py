"""The page shells without a browser: login redirects, roles, headers, sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kiwerk.core.auth import bootstrap_owner
from kiwerk.interfaces.api import create_app
from kiwerk.interfaces.web import PAGES, Page
from kiwerk.settings import Settings
from tests.interfaces.web.conftest import FAST, PASSWORD


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """An app with organisation acme: owner ada, viewer vic (no session yet)."""
    home = tmp_path / "home"
    settings = Settings(home=home, secret_key="test-secret-key-web", download=False)
    app = create_app(settings, FAST)
    s = app.state.services
    bootstrap_owner(
        s.pool, s.store, s.hasher, org="acme", user="ada", password=PASSWORD
    )
    s.pool.add_user("vic", org="acme", role="viewer", actor="ada")
    s.store.set_password_hash("vic", s.hasher.hash(PASSWORD))
    with TestClient(app) as c:
        yield c


def _login(client: TestClient, user: str) -> None:
    r = client.post("/auth/session", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.path)
def test_pages_redirect_to_login_without_session(
    client: TestClient, page: Page
) -> None:
    """Without a session every page answers 303 to the login with ``next``."""
    url = page.url.replace("{name}", "x")
    r = client.get(url, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/ui/login?next=/ui/")


def test_tampered_or_ended_session_redirects(client: TestClient) -> None:
    """A forged cookie or a logged-out session opens no page."""
    client.cookies.set("kiwerk_session", "not-a-token")
    assert client.get("/ui/", follow_redirects=False).status_code == 303
    client.cookies.clear()
    _login(client, "ada")
    token, csrf = client.cookies["kiwerk_session"], client.cookies["kiwerk_csrf"]
    r = client.delete("/auth/session", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    client.cookies.clear()
    client.cookies.set("kiwerk_session", token)
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_page_headers_and_nav_by_role(client: TestClient) -> None:
    """Pages carry CSP and Server-Timing; the owner's nav lists the audit page."""
    _login(client, "ada")
    r = client.get("/ui/")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["server-timing"].startswith("render;dur=")
    assert 'href="/ui/audit"' in r.text
    assert 'data-role="owner"' in r.text


def test_viewer_gets_403_page_for_owner_pages(client: TestClient) -> None:
    """A viewer has no audit link and gets a 403 page for it."""
    _login(client, "vic")
    assert 'href="/ui/audit"' not in client.get("/ui/").text
    r = client.get("/ui/audit")
    assert r.status_code == 403
    assert "needs at least owner" in r.text


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/ui/pool", "/ui/pool"),  # a dashboard page: kept
        ("https://evil.example/", "/ui/"),  # another site: refused
        ("//evil.example/ui/", "/ui/"),  # scheme-relative: refused
        ("/docs", "/ui/"),  # outside the dashboard: refused
    ],
)
def test_login_next_stays_on_the_dashboard(
    client: TestClient, given: str, kept: str
) -> None:
    """The login form only sends the browser on to dashboard pages."""
    r = client.get("/ui/login", params={"next": given})
    assert f'data-next="{kept}"' in r.text


def test_root_redirects_to_dashboard(client: TestClient) -> None:
    """``/`` sends browsers to ``/ui/``."""
    r = client.get("/", follow_redirects=False)
    assert r.headers["location"] == "/ui/"


def test_path_parameters_are_escaped(client: TestClient) -> None:
    """A page's path parameter reaches the HTML escaped, never as markup."""
    _login(client, "ada")
    r = client.get("/ui/pool/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert r.status_code == 200
    assert "<img src=x" not in r.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in r.text
