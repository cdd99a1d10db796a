"""Tenant checks shared by the routers.

The pool answers an unknown dataset with ``NotFound`` and a dataset of
another organisation with ``AccessDenied``; told apart, the two would tell a
caller which names exist elsewhere. These helpers answer both with the same
404, and keep 403 for callers who can see a resource but lack the role.
"""

from __future__ import annotations

from kiwerk.core.data import DatasetInfo, Pool
from kiwerk.interfaces.api.deps import Principal
from kiwerk.interfaces.api.errors import ProblemError


def roles(pool: Pool, actor: str) -> dict[str, str]:
    """Organisation → role of every membership of ``actor``."""
    return {
        str(o["name"]): str(o["members"][actor])
        for o in pool.organisations()
        if actor in o["members"]
    }


def member_role(pool: Pool, principal: Principal, org: str) -> str:
    """The caller's role in ``org``; 404 when not a member (or no such org)."""
    role = roles(pool, principal.actor).get(org)
    if role is None:
        raise ProblemError(404, f"organisation {org!r} not found")
    return role


def require_user(principal: Principal, what: str) -> None:
    """403 unless the caller is a person (API keys cannot manage access)."""
    if principal.kind != "user":
        raise ProblemError(403, f"API keys may not {what}; log in as a user")


def visible_dataset(pool: Pool, principal: Principal, name: str) -> DatasetInfo:
    """The dataset as the caller sees it; 404 when unknown or invisible."""
    for info in pool.datasets(actor=principal.actor):
        if info.name == name:
            return info
    raise ProblemError(404, f"dataset {name!r} not found")


__all__ = ["member_role", "require_user", "roles", "visible_dataset"]
