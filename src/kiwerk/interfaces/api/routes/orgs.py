"""``/orgs``: organisations, their members and their API keys."""

from __future__ import annotations

from fastapi import APIRouter, Response

from kiwerk.core.auth import new_key
from kiwerk.errors import AccessDenied, Conflict
from kiwerk.interfaces.api.deps import PrincipalDep, ServicesDep
from kiwerk.interfaces.api.errors import ProblemError, problem_responses
from kiwerk.interfaces.api.routes._access import member_role, require_user, roles
from kiwerk.interfaces.api.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    Name,
    OrgCreate,
    OrgPublic,
    UserCreate,
    UserPublic,
)

router = APIRouter(prefix="/orgs", tags=["organisations"])
_ERRORS = problem_responses(401, 403, 404, 409, 422, 429)
_RESERVED = "key-"


@router.get("", response_model=list[OrgPublic], responses=_ERRORS)
def list_orgs(services: ServicesDep, principal: PrincipalDep) -> list[OrgPublic]:
    """The organisations the caller belongs to, with their members."""
    return [
        OrgPublic(
            name=o["name"], role=o["members"][principal.actor], members=o["members"]
        )
        for o in services.pool.organisations()
        if principal.actor in o["members"]
    ]


@router.post("", status_code=201, response_model=OrgPublic, responses=_ERRORS)
def create_org(
    services: ServicesDep, principal: PrincipalDep, body: OrgCreate
) -> OrgPublic:
    """Create an organisation with its first owner (owners of an organisation only).

    The first owner is the caller unless ``owner`` names another user; a
    user new to kiwerk needs ``owner_password``.
    """
    require_user(principal, "create organisations")
    owner = body.owner or principal.actor
    password_hash = _new_password(services, owner, body.owner_password)
    services.pool.create_organisation(body.name, actor=principal.actor)
    services.pool.add_user(owner, org=body.name, role="owner", actor=principal.actor)
    if password_hash is not None:
        services.store.set_password_hash(owner, password_hash)
    return OrgPublic(name=body.name, role="owner", members={owner: "owner"})


def _new_password(services: ServicesDep, user: str, password: str | None) -> str | None:
    """The hash to store for ``user``: only a new user gets (and needs) one."""
    if user.startswith(_RESERVED):
        raise ProblemError(422, f"user names starting with {_RESERVED!r} are reserved")
    exists = services.store.password_hash(user) is not None or bool(
        roles(services.pool, user)
    )
    if exists and password is not None:
        raise Conflict(f"user {user!r} exists; only they can set their password")
    if not exists and password is None:
        raise ProblemError(422, f"user {user!r} is new: give a password")
    return None if password is None else services.hasher.hash(password)


@router.get("/{org}/users", response_model=list[UserPublic], responses=_ERRORS)
def list_users(
    services: ServicesDep, principal: PrincipalDep, org: Name
) -> list[UserPublic]:
    """The members of an organisation (members only)."""
    member_role(services.pool, principal, org)
    found = next(o for o in services.pool.organisations() if o["name"] == org)
    return [UserPublic(name=n, org=org, role=r) for n, r in found["members"].items()]


@router.post(
    "/{org}/users", status_code=201, response_model=UserPublic, responses=_ERRORS
)
def add_user(
    services: ServicesDep, principal: PrincipalDep, org: Name, body: UserCreate
) -> UserPublic:
    """Add a member (owners only); a user new to kiwerk needs a password.

    An existing user keeps the password they have: no owner can set another
    organisation's user's password.
    """
    require_user(principal, "add users")
    if member_role(services.pool, principal, org) != "owner":
        raise AccessDenied(f"only owners of {org!r} may add users")
    password_hash = _new_password(services, body.name, body.password)
    store, pool = services.store, services.pool
    pool.add_user(body.name, org=org, role=body.role, actor=principal.actor)
    services.roles.clear()
    if password_hash is not None:
        store.set_password_hash(body.name, password_hash)
    return UserPublic(name=body.name, org=org, role=body.role)


@router.get("/{org}/api-keys", response_model=list[ApiKeyPublic], responses=_ERRORS)
def list_keys(
    services: ServicesDep, principal: PrincipalDep, org: Name
) -> list[ApiKeyPublic]:
    """The API keys of an organisation (owners only), never their secrets."""
    _owner(services, principal, org)
    return [ApiKeyPublic.model_validate(k) for k in services.store.keys(org)]


@router.post(
    "/{org}/api-keys", status_code=201, response_model=ApiKeyCreated, responses=_ERRORS
)
def create_key(
    services: ServicesDep, principal: PrincipalDep, org: Name, body: ApiKeyCreate
) -> ApiKeyCreated:
    """Create an API key with a role in this organisation (owners only).

    The key is shown once; only its hash is stored.
    """
    _owner(services, principal, org)
    text, record = new_key(
        name=body.name,
        org=org,
        role=body.role,
        created_by=principal.actor,
        rate_per_minute=body.rate_per_minute or services.params.default_rate_per_minute,
        ttl_s=None if body.ttl_days is None else body.ttl_days * 86400.0,
    )
    services.pool.add_user(record.actor, org=org, role=body.role, actor=principal.actor)
    services.store.add_key(record)
    services.pool.audit.append(
        principal.actor, "create_key", f"{org}/{record.actor}", {"role": body.role}
    )
    return ApiKeyCreated(key=text, **ApiKeyPublic.model_validate(record).model_dump())


@router.delete("/{org}/api-keys/{key_id}", status_code=204, responses=_ERRORS)
def revoke_key(
    services: ServicesDep, principal: PrincipalDep, org: Name, key_id: str
) -> Response:
    """Revoke an API key at once (owners only)."""
    _owner(services, principal, org)
    record = services.store.key(key_id)
    if record is None or record.org != org:
        raise ProblemError(404, f"API key {key_id!r} not found")
    services.store.revoke_key(key_id)
    services.keys.forget(key_id)
    services.pool.audit.append(principal.actor, "revoke_key", f"{org}/{record.actor}")
    return Response(status_code=204)


def _owner(services: ServicesDep, principal: PrincipalDep, org: str) -> None:
    require_user(principal, "manage API keys")
    if member_role(services.pool, principal, org) != "owner":
        raise AccessDenied(f"only owners of {org!r} may manage its API keys")
