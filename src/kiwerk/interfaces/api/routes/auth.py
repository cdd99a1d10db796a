"""``/auth``: log in (OAuth2 password flow), log out, who am I, change password,
and browser sessions (the same token in an HttpOnly cookie, with CSRF)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from kiwerk.core.auth import IssuedToken
from kiwerk.errors import AccessDenied, Unauthenticated
from kiwerk.interfaces.api._session import (
    clear_session,
    csrf_token,
    drop_renewal,
    set_session,
)
from kiwerk.interfaces.api.deps import PrincipalDep, Services, ServicesDep
from kiwerk.interfaces.api.errors import problem_responses
from kiwerk.interfaces.api.routes._access import require_user, roles
from kiwerk.interfaces.api.schemas import (
    Me,
    PasswordChange,
    SessionCreate,
    SessionPublic,
    Token,
)

log = logging.getLogger("kiwerk.api")
router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=Token, responses=problem_responses(401))
def login(
    services: ServicesDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange a user name and password for a short-lived access token."""
    issued = _authenticate(services, form.username, form.password)
    return Token(access_token=issued.token, expires_in=int(services.signer.ttl_s))


def _authenticate(services: Services, username: str, password: str) -> IssuedToken:
    """Check the password and issue a token (audited), or raise 401."""
    stored = services.store.password_hash(username)
    ok = services.hasher.verify(stored, password)
    if not ok or not roles(services.pool, username):
        log.warning("failed login for %r", username)
        raise Unauthenticated("wrong user name or password")
    issued = services.signer.issue(username)
    services.pool.audit.append(username, "login", username)
    return issued


@router.post(
    "/session", response_model=SessionPublic, responses=problem_responses(401, 422)
)
def open_session(
    services: ServicesDep, body: SessionCreate, request: Request, response: Response
) -> SessionPublic:
    """Log a browser in: the access token goes into an HttpOnly cookie.

    The body is JSON (a cross-site form cannot send it). Later requests
    with the cookie and an unsafe method must send ``csrf_token`` in the
    ``X-CSRF-Token`` header.
    """
    issued = _authenticate(services, body.username, body.password)
    csrf = csrf_token(services.settings.secret_key, issued.claims.jti)
    ttl = int(services.signer.ttl_s)
    secure = request.url.scheme == "https"
    set_session(response, issued.token, csrf, max_age=ttl, secure=secure)
    return SessionPublic(
        actor=body.username,
        roles=roles(services.pool, body.username),
        csrf_token=csrf,
        expires_in=ttl,
    )


@router.delete("/session", status_code=204, responses=problem_responses(401, 403))
def close_session(
    services: ServicesDep, principal: PrincipalDep, request: Request
) -> Response:
    """Log a browser out: revoke its session (every renewed token) and the cookies."""
    require_user(principal, "log out")
    assert principal.token is not None
    drop_renewal(request)
    # no token of the session outlives this one's renewal (renewals extend)
    expires = principal.token.expires_at + services.signer.ttl_s
    services.store.revoke_token(principal.token.session, expires)
    services.store.revoke_token(principal.token.jti, principal.token.expires_at)
    services.pool.audit.append(principal.actor, "logout", principal.actor)
    response = Response(status_code=204)
    clear_session(response, secure=request.url.scheme == "https")
    return response


@router.post("/logout", status_code=204, responses=problem_responses(401, 403))
def logout(services: ServicesDep, principal: PrincipalDep) -> Response:
    """Revoke the access token of this request."""
    require_user(principal, "log out")
    assert principal.token is not None
    services.store.revoke_token(principal.token.jti, principal.token.expires_at)
    services.pool.audit.append(principal.actor, "logout", principal.actor)
    return Response(status_code=204)


@router.get("/me", response_model=Me, responses=problem_responses(401, 429))
def me(services: ServicesDep, principal: PrincipalDep) -> Me:
    """Who the caller is and which roles it holds."""
    return Me(
        actor=principal.actor,
        kind=principal.kind,
        roles=roles(services.pool, principal.actor),
    )


@router.put("/password", status_code=204, responses=problem_responses(401, 403, 422))
def change_password(
    services: ServicesDep, principal: PrincipalDep, body: PasswordChange
) -> Response:
    """Change the caller's own password (the old one must be given)."""
    require_user(principal, "change passwords")
    stored = services.store.password_hash(principal.actor)
    if not services.hasher.verify(stored, body.old_password):
        raise AccessDenied("the old password is wrong")
    services.store.set_password_hash(
        principal.actor, services.hasher.hash(body.new_password)
    )
    services.pool.audit.append(principal.actor, "change_password", principal.actor)
    return Response(status_code=204)
