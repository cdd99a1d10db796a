"""The first owner of a fresh installation: pool membership and password."""

from __future__ import annotations

from kiwerk.core.auth._passwords import PasswordHasher
from kiwerk.core.data import Pool
from kiwerk.core.store import MetadataStore
from kiwerk.errors import NotFound


def bootstrap_owner(
    pool: Pool,
    store: MetadataStore,
    hasher: PasswordHasher,
    *,
    org: str,
    user: str,
    password: str,
) -> None:
    """Create the first organisation and its owner, with a password.

    Raises
    ------
    Conflict
        When the pool already has users (ask an owner instead).
    ValueError
        When the password is too short.
    """
    password_hash = hasher.hash(password)
    pool.bootstrap(org, user)
    store.set_password_hash(user, password_hash)


def set_password(
    pool: Pool,
    store: MetadataStore,
    hasher: PasswordHasher,
    *,
    user: str,
    password: str,
) -> None:
    """Set a pool user's password (an operator's reset, from the server's shell).

    Raises
    ------
    NotFound
        When ``user`` is not a member of any organisation.
    """
    if not any(user in o["members"] for o in pool.organisations()):
        raise NotFound(f"user {user!r} is not a member of any organisation")
    store.set_password_hash(user, hasher.hash(password))


__all__ = ["bootstrap_owner", "set_password"]
