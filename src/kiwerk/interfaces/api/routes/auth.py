"""``/auth``: log in (OAuth2 password flow), log out, who am I, change password."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import OAuth2PasswordRequestForm

from kiwerk.errors import AccessDenied, Unauthenticated
from kiwerk.interfaces.api.deps import PrincipalDep, ServicesDep
from kiwerk.interfaces.api.errors import problem_responses
from kiwerk.interfaces.api.routes._access import require_user, roles
from kiwerk.interfaces.api.schemas import Me, PasswordChange, Token

log = logging.getLogger("kiwerk.api")
router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=Token, responses=problem_responses(401))
def login(
    services: ServicesDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange a user name and password for a short-lived access token."""
    stored = services.store.password_hash(form.username)
    ok = services.hasher.verify(stored, form.password)
    if not ok or not roles(services.pool, form.username):
        log.warning("failed login for %r", form.username)
        raise Unauthenticated("wrong user name or password")
    issued = services.signer.issue(form.username)
    services.pool.audit.append(form.username, "login", form.username)
    return Token(access_token=issued.token, expires_in=int(services.signer.ttl_s))


@router.post("/logout", status_code=204, responses=problem_responses(401))
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
