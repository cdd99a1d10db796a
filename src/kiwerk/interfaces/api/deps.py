"""Dependencies of the routes: the services of the app and who is calling.

A caller proves itself with ``Authorization: Bearer <token>`` where the
token is an access token (from ``POST /auth/token``) or an API key
(``kw_...``), with ``X-API-Key: kw_...``, or (a browser) with the session
cookie of ``POST /auth/session`` plus the CSRF header on unsafe methods
(see :mod:`kiwerk.interfaces.api._session`). API keys are rate limited.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request, Security
from fastapi.security import (
    APIKeyCookie,
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBearer,
)

from kiwerk.core.auth import (
    PasswordHasher,
    RateLimiter,
    TokenClaims,
    TokenSigner,
    check_key,
)
from kiwerk.core.data import Pool
from kiwerk.core.pilots import PilotTracker
from kiwerk.core.store import ApiKeyRecord, MetadataStore
from kiwerk.errors import AccessDenied, Unauthenticated
from kiwerk.interfaces.api._serving import ModelService
from kiwerk.interfaces.api._session import (
    CSRF_HEADER,
    SESSION_COOKIE,
    csrf_ok,
    csrf_token,
    renew,
)
from kiwerk.interfaces.api.params import ApiParams
from kiwerk.settings import Settings


class RoleCache:
    """Organisation → role of each actor, read from the pool, kept ``ttl_s``.

    The hot paths (prediction) would otherwise open the pool's catalog on
    every request; a role change takes effect within ``ttl_s`` seconds (at
    once in this process, which clears the cache when it changes members).
    """

    def __init__(self, pool: Pool, ttl_s: float = 5.0) -> None:
        self.pool = pool
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def get(self, actor: str) -> dict[str, str]:
        """The roles of ``actor`` (a copy)."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(actor)
        if hit is not None and now - hit[0] < self.ttl_s:
            return dict(hit[1])
        found = {
            str(o["name"]): str(o["members"][actor])
            for o in self.pool.organisations()
            if actor in o["members"]
        }
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[actor] = (now, found)
        return dict(found)

    def clear(self) -> None:
        """Forget every cached role."""
        with self._lock:
            self._cache.clear()


class KeyCache:
    """API-key records by id, read from the metadata store, kept ``ttl_s``.

    Saves a database round trip per machine request; a revocation takes
    effect at once in this process (the route calls :meth:`forget`) and
    within ``ttl_s`` seconds in other workers.
    """

    def __init__(self, store: MetadataStore, ttl_s: float = 5.0) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, ApiKeyRecord]] = {}
        self._lock = threading.Lock()

    def key(self, key_id: str) -> ApiKeyRecord | None:
        """The record of ``key_id`` (unknown ids are never cached)."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key_id)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        record = self.store.key(key_id)
        if record is not None:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[key_id] = (now, record)
        return record

    def forget(self, key_id: str) -> None:
        """Drop ``key_id`` (after a revocation)."""
        with self._lock:
            self._cache.pop(key_id, None)


@dataclass
class Services:
    """Everything the routes share; built once by ``create_app``."""

    settings: Settings
    params: ApiParams
    pool: Pool
    store: MetadataStore
    signer: TokenSigner
    hasher: PasswordHasher
    limiter: RateLimiter
    models: ModelService
    roles: RoleCache
    tracker: PilotTracker
    keys: KeyCache


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user (token) or a machine (API key).

    ``actor`` is the pool user every pool call is made as, so the pool's
    roles and grants decide what the caller may do.
    """

    actor: str
    kind: Literal["user", "key"]
    token: TokenClaims | None = None
    key: ApiKeyRecord | None = None
    cookie: bool = False


def get_services(request: Request) -> Services:
    """The app's :class:`Services`."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

_bearer = HTTPBearer(
    auto_error=False,
    description="An access token from POST /auth/token, or an API key (kw_...).",
)
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key (kw_...)."
)
_session = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description=(
        "A browser session from POST /auth/session; unsafe methods must send "
        f"the CSRF value in {CSRF_HEADER}."
    ),
)


def get_principal(
    request: Request,
    services: ServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_api_key)],
    session: Annotated[str | None, Security(_session)],
) -> Principal:
    """Authenticate the request.

    Raises
    ------
    Unauthenticated
        When no credentials came, or they are invalid, expired or revoked.
    RateLimited
        When an API key exceeds its rate.
    AccessDenied
        When a session-cookie request with an unsafe method lacks the CSRF
        header or sends a wrong one.
    """
    text = api_key or (bearer.credentials if bearer else None)
    if not text and session:
        return session_principal(request, services, session)
    if not text:
        raise Unauthenticated("credentials required: send a bearer token or API key")
    if text.startswith("kw_"):
        record = check_key(services.keys, text)
        services.limiter.hit(record.key_id, record.rate_per_minute)
        return Principal(actor=record.actor, kind="key", key=record)
    claims = services.signer.decode(text)
    if services.store.token_revoked(claims.jti):
        raise Unauthenticated("the access token was revoked; log in again")
    return Principal(actor=claims.subject, kind="user", token=claims)


def session_principal(request: Request, services: Services, token: str) -> Principal:
    """The user of a session cookie, with the CSRF check of unsafe methods.

    A token older than ``session_renew_s`` is renewed (see
    :mod:`kiwerk.interfaces.api._session`).
    """
    if token.startswith("kw_"):
        raise Unauthenticated("API keys are not accepted as session cookies")
    claims = services.signer.decode(token)
    revoked = services.store.token_revoked
    if revoked(claims.jti) or (
        claims.session != claims.jti and revoked(claims.session)
    ):
        raise Unauthenticated("the session was ended; log in again")
    secret = services.settings.secret_key
    if not csrf_ok(request, secret, claims.session):
        raise AccessDenied(
            f"missing or wrong {CSRF_HEADER} header for a cookie session"
        )
    signer, p = services.signer, services.params
    now = signer.clock()
    left = claims.auth_time + p.session_max_s - now
    if left <= 0:
        raise Unauthenticated("the session reached its maximum length; log in again")
    if now - claims.issued_at >= p.session_renew_s:
        ttl = min(signer.ttl_s, left)
        fresh = signer.issue(
            claims.subject,
            ttl_s=ttl,
            session=claims.session,
            auth_time=claims.auth_time,
        )
        renew(request, fresh.token, csrf_token(secret, claims.session), int(ttl))
    return Principal(actor=claims.subject, kind="user", token=claims, cookie=True)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


__all__ = [
    "KeyCache",
    "Principal",
    "PrincipalDep",
    "RoleCache",
    "Services",
    "ServicesDep",
    "get_principal",
    "get_services",
    "session_principal",
]
