"""Fixtures of the dashboard's browser tests (Playwright driving Debian's chromium).

- ``web_template``: a kiwerk home built once through the API: organisation
  acme (owner ada, analyst ana, viewer vic; dataset ``pumps`` v1 with a
  grant to uni) and uni (owner bob; ada is its viewer).
- ``live_server``: ``kiwerk serve``'s app (``create_app``) run for real by
  uvicorn in a thread on a free port, over a copy of the template; its
  ``url`` and ``services``. One per test module.
- ``browser``: headless chromium (``/usr/bin/chromium`` or
  ``KIWERK_CHROMIUM``); tests are skipped with the reason where it or the
  dashboard assets (``scripts/web-assets``) are missing, except under
  ``CI=true`` where they fail.
- ``page`` / ``phone``: a fresh browser page at 1280×800 / 390×844.
- ``login(page, user)``: log in through the form; ``check_page(page, name)``:
  run axe-core (no critical violations allowed) and save a screenshot under
  ``artifacts/screenshots/`` (path printed).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from kiwerk.core.auth import PasswordParams, bootstrap_owner
from kiwerk.interfaces.api import ApiParams, create_app
from kiwerk.interfaces.api.deps import Services
from kiwerk.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VENDOR = ROOT / "src" / "kiwerk" / "interfaces" / "web" / "static" / "vendor"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("KIWERK_CHROMIUM", "/usr/bin/chromium"))
PASSWORD = "correct horse battery staple"
FAST = ApiParams(passwords=PasswordParams(time_cost=1, memory_kib=8192, parallelism=1))
PUMPS = (
    "ts,machine,operator,temp,speed\n"
    "2024-01-01 00:00:00,M1,alice.meyer,20.5,1500\n"
    "2024-01-01 00:01:00,M1,alice.meyer,21.0,1510\n"
    "2024-01-01 00:02:00,M2,bernd.schulz,22.5,1490\n"
)
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def _settings(home: Path, data: Path | None = None) -> Settings:
    extra: dict[str, Any] = {} if data is None else {"data": data}
    return Settings(
        home=home,
        metadata_database_url=f"sqlite:///{home / 'meta.db'}",
        secret_key="test-secret-key-for-web-sessions",
        download=False,
        **extra,
    )


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


class Api:
    """A tiny client of the live API (bearer tokens) to seed test worlds."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.headers: dict[str, dict[str, str]] = {}

    def login(self, user: str) -> dict[str, str]:
        """Log ``user`` in with the OAuth2 flow; remember and return the header."""
        r = self.client.post(
            "/auth/token", data={"username": user, "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        self.headers[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.headers[user]

    def call(self, user: str, method: str, path: str, **kw: Any) -> Any:
        """Call the API as ``user``; fail on an error status."""
        r = self.client.request(method, path, headers=self.headers[user], **kw)
        assert r.status_code < 400, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None


def build_world(client: httpx.Client, services: Services) -> Api:
    """Seed organisations, users and a dataset through the API."""
    bootstrap_owner(
        services.pool,
        services.store,
        services.hasher,
        org="acme",
        user="ada",
        password=PASSWORD,
    )
    api = Api(client)
    api.login("ada")
    for user, role in (("ana", "analyst"), ("vic", "viewer")):
        body = {"name": user, "role": role, "password": PASSWORD}
        api.call("ada", "POST", "/orgs/acme/users", json=body)
    body = {"name": "uni", "owner": "bob", "owner_password": PASSWORD}
    api.call("ada", "POST", "/orgs", json=body)
    api.login("bob")
    api.call("bob", "POST", "/orgs/uni/users", json={"name": "ada", "role": "viewer"})
    api.login("ana")
    spec = {"personal": ["operator"]}
    api.call(
        "ana", "POST", "/datasets", json={"name": "pumps", "org": "acme", "spec": spec}
    )
    files = {"file": ("pumps.csv", PUMPS.encode(), "text/csv")}
    api.call("ana", "POST", "/datasets/pumps/versions", files=files)
    api.call("ada", "PUT", "/datasets/pumps/grants/uni", json={"level": "read"})
    return api


@dataclass
class LiveServer:
    """A running kiwerk server."""

    url: str
    services: Services
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(settings: Settings, params: ApiParams = FAST) -> LiveServer:
    """Run ``create_app(settings)`` with uvicorn in a thread on a free port."""
    app = create_app(settings, params)
    port = _free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the kiwerk server did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", app.state.services, server, thread)


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kiwerk home with acme, uni, their users and ``pumps``, built once."""
    home = tmp_path_factory.mktemp("web-template") / "home"
    live = start_server(_settings(home))
    try:
        with httpx.Client(base_url=live.url, timeout=60) as client:
            build_world(client, live.services)
    finally:
        live.stop()
    return home


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, web_template: Path
) -> Iterator[LiveServer]:
    """The dashboard served for real over a fresh copy of the template."""
    home = tmp_path_factory.mktemp("web") / "home"
    shutil.copytree(web_template, home)
    live = start_server(_settings(home))
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless chromium driven by Playwright."""
    if not CHROMIUM.exists():
        _missing(f"chromium not found at {CHROMIUM} (Debian package chromium)")
    if not (VENDOR / "chart.umd.min.js").exists() or not AXE.exists():
        _missing("dashboard assets missing: run scripts/web-assets")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


def _new_page(browser: Any, live_server: LiveServer, width: int, height: int) -> Any:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh page (own cookies) at 1280×800 on the live server."""
    context, pg = _new_page(browser, live_server, 1280, 800)
    yield pg
    context.close()


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh page (own cookies) 390 px wide, like a phone."""
    context, pg = _new_page(browser, live_server, 390, 844)
    yield pg
    context.close()


def do_login(
    page: Any, user: str, password: str = PASSWORD, next_path: str = ""
) -> None:
    """Log ``user`` in through the login form and wait for the dashboard."""
    page.goto("/ui/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/ui/login" not in url)


@pytest.fixture
def login() -> Callable[..., None]:
    """``login(page, user)``: log in through the form."""
    return do_login


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page; its violations (id, impact, help, nodes)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return list(result)


def save_screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as ``artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")  # noqa: T201
    return path


def check(page: Any, name: str) -> list[dict[str, Any]]:
    """Screenshot the page, run axe-core and fail on critical violations."""
    page.wait_for_load_state("networkidle")
    save_screenshot(page, name)
    violations = run_axe(page)
    critical = [v for v in violations if v["impact"] == "critical"]
    assert not critical, json.dumps(critical, indent=1)
    return violations


@pytest.fixture
def check_page() -> Callable[[Any, str], list[dict[str, Any]]]:
    """``check_page(page, name)``: screenshot + axe-core, no critical violations."""
    return check
