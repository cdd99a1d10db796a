"""Mount the dashboard on the API app: static files, login and the page shells.

The shells are rendered on the server from Jinja2 templates; everything they
show comes from the public JSON API, fetched by the page's own script with
the browser's session cookie (``kiwerk.apiFetch`` adds the CSRF header).
The server only reads the session to decide who is logged in, which
organisation is selected and which pages the role may open.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kiwerk import __version__
from kiwerk.errors import KiwerkError
from kiwerk.interfaces.api._session import SESSION_COOKIE
from kiwerk.interfaces.api.deps import Principal, Services, session_principal
from kiwerk.interfaces.web._pages import PAGES, Page, role_allows

HERE = Path(__file__).parent
STATIC = HERE / "static"
ORG_COOKIE = "kiwerk_org"

#: Content-Security-Policy of every page: only this origin's scripts and styles.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

Handler = Callable[[Request], Awaitable[Response]]


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _principal(request: Request, services: Services) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return session_principal(request, services, token)
    except KiwerkError:  # expired, revoked or tampered: log in again
        return None


def _headers(started: float) -> dict[str, str]:
    elapsed = (time.perf_counter() - started) * 1000
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
        "Server-Timing": f"render;dur={elapsed:.2f}",
    }


class Dashboard:
    """Renders the pages of ``pages`` for the app's :class:`Services`."""

    def __init__(self, pages: Iterable[Page]) -> None:
        self.pages = tuple(pages)
        self.env = _environment()

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        *,
        started: float,
        status: int = 200,
    ) -> HTMLResponse:
        """Render ``template`` with the common context plus ``context``."""
        body = self.env.get_template(template).render(
            version=__version__, request_path=request.url.path, **context
        )
        return HTMLResponse(body, status_code=status, headers=_headers(started))

    def session_context(self, request: Request, principal: Principal) -> dict[str, Any]:
        """Who is logged in, their organisations, the selected one and its role."""
        services: Services = request.app.state.services
        orgs = dict(sorted(services.roles.get(principal.actor).items()))
        org = request.cookies.get(ORG_COOKIE, "")
        if org not in orgs:
            org = next(iter(orgs), "")
        role = orgs.get(org)
        nav = [p for p in self.pages if p.in_nav and role_allows(role, p.min_role)]
        return {
            "actor": principal.actor,
            "orgs": orgs,
            "org": org,
            "role": role,
            "nav": nav,
        }

    def page_handler(self, page: Page) -> Handler:
        """The endpoint of ``page``: login redirect, role check, render."""

        async def handler(request: Request) -> Response:
            started = time.perf_counter()
            principal = _principal(request, request.app.state.services)
            if principal is None:
                target = quote(
                    str(request.url.path)
                    + (f"?{request.url.query}" if request.url.query else "")
                )
                return RedirectResponse(f"/ui/login?next={target}", status_code=303)
            context = self.session_context(request, principal)
            context.update(page=page, params=dict(request.path_params))
            if not role_allows(context["role"], page.min_role):
                return self.render(
                    request, "forbidden.html", context, started=started, status=403
                )
            return self.render(request, page.template, context, started=started)

        return handler

    def login(self, request: Request) -> Response:
        """The login form (the page's script posts to ``/auth/session``)."""
        started = time.perf_counter()
        target = request.query_params.get("next", "/ui/")
        if not target.startswith("/ui/") or "//" in target:
            target = "/ui/"
        return self.render(request, "login.html", {"next": target}, started=started)


def install(app: FastAPI, pages: Iterable[Page] = PAGES) -> None:
    """Add the dashboard to ``app``: ``/ui/...`` pages, ``/ui/static``, ``/``.

    Examples
    --------
    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> install(app)
    >>> "/ui/login" in {r.path for r in app.routes}
    True
    """
    dashboard = Dashboard(pages)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="web-static")

    async def login(request: Request) -> Response:
        return dashboard.login(request)

    async def root() -> Response:
        return RedirectResponse("/ui/", status_code=307)

    app.add_api_route("/ui/login", login, methods=["GET"], include_in_schema=False)
    app.add_api_route("/", root, methods=["GET"], include_in_schema=False)
    for page in dashboard.pages:
        app.add_api_route(
            page.url,
            dashboard.page_handler(page),
            methods=["GET"],
            include_in_schema=False,
            name=f"web:{page.path}",
        )
    app.state.dashboard = dashboard


__all__ = ["CSP", "ORG_COOKIE", "Dashboard", "install"]
