"""The kiwerk REST API: ``create_app(settings)`` builds the FastAPI app.

Run it with ``kiwerk serve``. Interactive docs are at ``/docs``, the schema
at ``/openapi.json``; every error is an RFC 9457 problem-details body.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from kiwerk.settings import Settings
>>> app = create_app(Settings(home=Path(tempfile.mkdtemp())))
>>> app.title
'kiwerk'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from kiwerk import __version__
from kiwerk.core.auth import PasswordHasher, RateLimiter, TokenSigner
from kiwerk.core.data import Pool
from kiwerk.core.monitor.live import AlertParams
from kiwerk.core.pilots import PilotTracker
from kiwerk.core.store import MetadataStore
from kiwerk.domains.industry.stream import LineFeed, load_line_config
from kiwerk.interfaces.api import errors
from kiwerk.interfaces.api._guard import RequestGuard
from kiwerk.interfaces.api._serving import ModelService
from kiwerk.interfaces.api._session import SessionRenewal
from kiwerk.interfaces.api.deps import KeyCache, RoleCache, Services
from kiwerk.interfaces.api.params import ApiParams
from kiwerk.interfaces.api.routes import (
    audit,
    auth,
    datasets,
    fleet,
    jobs,
    line,
    mobility,
    models,
    orgs,
    pilots,
    readiness,
    xray,
)
from kiwerk.interfaces.api.schemas import Health, Problem
from kiwerk.interfaces.cli.pilots import model_registry, pilot_catalog
from kiwerk.settings import Settings

_DESCRIPTION = """\
The governed data pool and the AI pilots of kiwerk over HTTP.

Log in with `POST /auth/token` (OAuth2 password flow) and send
`Authorization: Bearer <token>`, or send an API key (`kw_...`) as bearer token
or `X-API-Key`. Every call is checked against the caller's organisations,
roles and the pool's grants; other organisations' resources answer 404.
Errors are RFC 9457 problem details (`application/problem#json`).
""".replace("#", "+")


def build_services(settings: Settings, params: ApiParams) -> Services:
    """Open the pool and the metadata store named by ``settings``."""
    pool = Pool.open(settings.pool_dir, secrets_path=settings.secrets_path)
    store = MetadataStore.open(settings.metadata_url)
    models = ModelService(
        pilot_catalog(),
        model_registry(settings),
        store,
        secret=settings.secret_key,
        monitor=params.monitor,
        performance=params.performance,
        alerts=AlertParams(
            webhook_url=settings.alert_webhook_url,
            mqtt_host=settings.alert_mqtt_host,
            mqtt_port=settings.alert_mqtt_port,
            mqtt_topic=settings.alert_mqtt_topic,
            repeat_s=params.alert_repeat_s,
        ),
    )
    return Services(
        settings=settings,
        params=params,
        pool=pool,
        store=store,
        signer=TokenSigner(settings.secret_key, ttl_s=params.token_ttl_s),
        hasher=PasswordHasher(params.passwords),
        limiter=RateLimiter(),
        models=models,
        roles=RoleCache(pool),
        tracker=PilotTracker(settings.metadata_url),
        keys=KeyCache(store),
    )


def create_app(settings: Settings, params: ApiParams | None = None) -> FastAPI:
    """Build the API over the pool and metadata store that ``settings`` name."""
    params = params or ApiParams()
    services = build_services(settings, params)

    feed = (
        LineFeed(load_line_config(settings.line_config))
        if settings.line_config is not None
        else None
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        services.models.start()
        if feed is not None:
            feed.start(timeout=params.line_connect_s)
        yield
        if feed is not None:
            feed.stop()
        services.models.stop()
        services.tracker.close()
        services.store.close()

    app = FastAPI(
        title="kiwerk",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.line_feed = feed
    errors.install(app)
    for router in (
        auth.router,
        orgs.router,
        datasets.router,
        models.router,
        jobs.router,
        audit.router,
        readiness.router,
        pilots.router,
        line.router,
        fleet.router,
        xray.router,
        mobility.router,
    ):
        app.include_router(router)

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        """Liveness: answers without credentials."""
        return Health(version=__version__)

    # Imported here: the dashboard imports the API's session helpers.
    from kiwerk.interfaces.web import install as install_dashboard

    install_dashboard(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(SessionRenewal)
    app.add_middleware(
        RequestGuard,
        max_body_bytes=params.max_body_bytes,
        max_upload_bytes=params.max_upload_bytes,
    )
    return app


def create_default_app() -> FastAPI:
    """The app of the process's settings (for ``uvicorn --factory`` workers)."""
    from kiwerk.settings import get_settings

    return create_app(get_settings())


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The schema, with every error documented as problem details."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for item in schema.get("paths", {}).values():
        for op in item.values():
            responses = op.setdefault("responses", {})
            if op.get("requestBody"):
                responses.setdefault("413", {"description": "Content Too Large"})
                responses.setdefault("415", {"description": "Unsupported Media Type"})
            responses.setdefault("422", {"description": "Unprocessable Content"})
            responses.setdefault("500", {"description": "Internal Server Error"})
            for code, response in responses.items():
                if str(code)[0] in "45":
                    response["content"] = {errors.PROBLEM: {"schema": problem_ref}}
    app.openapi_schema = schema
    return schema


__all__ = ["build_services", "create_app", "create_default_app"]
