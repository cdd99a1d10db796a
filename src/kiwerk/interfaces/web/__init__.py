"""The kiwerk web dashboard, served by ``kiwerk serve`` under ``/ui``.

The dashboard talks only to the public API. Each page is a server-rendered
shell (a Jinja2 template); its data comes from the JSON API, fetched in the
browser with the session cookie. The server itself reads the session only to
know who is logged in, the selected organisation and the role in it.

Sessions: the login form posts JSON to ``POST /auth/session``, which issues
the same signed token as the OAuth2 flow in an ``HttpOnly``,
``SameSite=Strict`` cookie plus a CSRF value; ``kiwerk.api`` (in
``static/kiwerk.js``) sends it as ``X-CSRF-Token`` on unsafe methods.
Bearer tokens and API keys keep working unchanged.

Front-end assets are pinned in ``package.json``/``package-lock.json`` at the
repository root; ``scripts/web-assets`` (run by ``scripts/install``) fetches
them from the npm registry and copies them into ``static/vendor/``
(gitignored). No CDN, no online tiles.

Adding a page
-------------
1. Write ``templates/<page>.html`` extending ``base.html`` (fill the ``main``
   block; ``params`` holds the path parameters, ``org``/``role``/``actor``
   the session) and ``static/<page>.js`` that loads its data with
   ``kiwerk.api(...)`` and renders it with ``kiwerk.el``/``kiwerk.table``;
   charts use ``static/charts.js`` (``kiwerk.lineChart``,
   ``kiwerk.radarChart``) on Chart.js (``vendor/chart.umd.min.js``).
2. Add a :class:`Page` to :data:`PAGES` in ``_pages.py`` (path below
   ``/ui``, title, template, scripts, ``min_role``).
3. Where the API lacks the data, add an API route first (schemas, tenant
   and role checks, tests); the page never reads the pool or models itself.
4. Test it in ``tests/interfaces/web/`` with the ``browser_page`` fixtures
   of its ``conftest.py`` (live server, logged-in page, ``check_page`` runs
   axe-core and saves a screenshot under ``artifacts/screenshots/``).

Examples
--------
>>> [p.url for p in PAGES][:1]
['/ui/']
"""

from kiwerk.interfaces.web._app import install
from kiwerk.interfaces.web._pages import PAGES, Page, role_allows

__all__ = ["PAGES", "Page", "install", "role_allows"]
