"""Long-lived API keys for machines: random secrets, stored only as hashes.

A key reads ``kw_<id>_<secret>``: the id (12 hex digits) finds the record,
the secret (32 random bytes, URL-safe) is checked against its SHA-256 hash.
A secret of 256 random bits cannot be guessed, so a fast hash is enough here
(a slow one would only cost every request); passwords, chosen by people, get
Argon2id instead.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import Protocol

from kiwerk.core.store import ApiKeyRecord
from kiwerk.errors import Unauthenticated

_KEY = re.compile(r"^kw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
ROLES = ("owner", "analyst", "viewer")


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest of a key secret.

    Examples
    --------
    >>> len(hash_secret("abc"))
    64
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def key_actor(key_id: str) -> str:
    """The pool user name a key acts as.

    Examples
    --------
    >>> key_actor("0123456789ab")
    'key-0123456789ab'
    """
    return f"key-{key_id}"


def new_key(
    *,
    name: str,
    org: str,
    role: str,
    created_by: str,
    rate_per_minute: int,
    ttl_s: float | None = None,
) -> tuple[str, ApiKeyRecord]:
    """A new key: its plain text (shown once) and the record to store."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    if rate_per_minute < 1:
        raise ValueError("rate_per_minute must be at least 1")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    created = time.time()
    record = ApiKeyRecord(
        key_id=key_id,
        secret_hash=hash_secret(secret),
        name=name,
        org=org,
        role=role,
        actor=key_actor(key_id),
        created_by=created_by,
        created_at=created,
        expires_at=None if ttl_s is None else created + ttl_s,
        revoked_at=None,
        rate_per_minute=rate_per_minute,
    )
    return f"kw_{key_id}_{secret}", record


class KeyLookup(Protocol):
    """Finds key records by id: the metadata store, or a cache in front of it."""

    def key(self, key_id: str) -> ApiKeyRecord | None:
        """The record of ``key_id``, if any."""
        ...


def check_key(store: KeyLookup, text: str, *, now: float | None = None) -> ApiKeyRecord:
    """The active key record that ``text`` proves.

    Raises
    ------
    Unauthenticated
        When the key is malformed, unknown, wrong, revoked or expired (one
        message for all, so that callers learn nothing about which).
    """
    match = _KEY.match(text)
    record = store.key(match.group(1)) if match else None
    expected = record.secret_hash if record else hash_secret("")
    given = hash_secret(match.group(2)) if match else hash_secret("x")
    ok = hmac.compare_digest(expected, given) and record is not None
    if (
        not ok
        or record is None
        or not record.active(time.time() if now is None else now)
    ):
        raise Unauthenticated("the API key is invalid, expired or revoked")
    return record


__all__ = ["ROLES", "check_key", "hash_secret", "key_actor", "new_key"]
