"""The dashboard's pages: what each is called, where it lives, who may open it.

A :class:`Page` is a server-rendered shell (a Jinja2 template extending
``base.html``); its data comes from the public JSON API, fetched by the
page's script. :data:`PAGES` lists every page in navigation order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Role = Literal["viewer", "analyst", "owner"]

#: Roles from least to most privileged.
ROLE_ORDER: tuple[Role, ...] = ("viewer", "analyst", "owner")


def role_allows(role: str | None, needed: Role) -> bool:
    """Whether ``role`` is at least ``needed``.

    Examples
    --------
    >>> role_allows("owner", "analyst"), role_allows("viewer", "analyst")
    (True, False)
    >>> role_allows(None, "viewer")
    False
    """
    if role not in ROLE_ORDER:
        return False
    return ROLE_ORDER.index(role) >= ROLE_ORDER.index(needed)


@dataclass(frozen=True)
class Page:
    """One dashboard page.

    Parameters
    ----------
    path
        Path below ``/ui``, e.g. ``"/pool"`` or ``"/pool/{name}"`` (path
        parameters reach the template as ``params``).
    title
        Title in the navigation and the browser tab.
    template
        Jinja2 template under ``web/templates/`` (extends ``base.html``).
    scripts
        Scripts under ``web/static/`` the page loads after ``kiwerk.js``
        (e.g. ``"vendor/chart.umd.min.js"``, ``"pool.js"``).
    nav
        Whether the page appears in the main navigation (pages with path
        parameters never do).
    min_role
        The least role in the current organisation that may open the page;
        others get a 403 page and do not see it in the navigation.
    """

    path: str
    title: str
    template: str
    scripts: tuple[str, ...] = ()
    nav: bool = True
    min_role: Role = "viewer"

    def __post_init__(self) -> None:
        if not re.fullmatch(r"/([a-z0-9-]+(/[a-z0-9{}_-]+)*)?", self.path):
            raise ValueError(f"Expected a page path like '/pool', got {self.path!r}.")
        if self.min_role not in ROLE_ORDER:
            raise ValueError(
                f"Expected min_role in {ROLE_ORDER}, got {self.min_role!r}."
            )

    @property
    def url(self) -> str:
        """The page's URL pattern (below ``/ui``)."""
        return "/ui" + self.path

    @property
    def in_nav(self) -> bool:
        """Whether the navigation lists this page."""
        return self.nav and "{" not in self.path


CHARTS = "vendor/chart.umd.min.js"

#: Every page of the dashboard, in navigation order. Add new pages here.
PAGES: tuple[Page, ...] = (
    Page("/", "Overview", "home.html", ("home.js",)),
    Page("/pool", "Data pool", "pool.html", ("pool.js",)),
    Page("/pool/{name}", "Dataset", "dataset.html", ("dataset.js",)),
    Page("/audit", "Audit trail", "audit.html", ("audit.js",), min_role="owner"),
    Page("/models", "Models", "models.html", ("models.js",)),
    Page("/models/{name}", "Model", "model.html", (CHARTS, "charts.js", "model.js")),
    Page("/pilots", "Pilot tracker", "pilots.html", ("pilots.js",)),
    Page("/pilots/{name}", "Pilot", "pilot.html", (CHARTS, "charts.js", "pilot.js")),
    Page(
        "/readiness",
        "Readiness check",
        "readiness.html",
        (CHARTS, "charts.js", "readiness.js"),
    ),
    Page("/line", "Live line", "line.html", ("line.js",)),
    Page("/fleet", "Fleet RUL", "fleet.html", (CHARTS, "fleet.js")),
    Page("/xray", "X-ray viewer", "xray.html", ("xray.js",)),
    Page("/mobility", "Mobility", "mobility.html", (CHARTS, "mobility.js")),
)
