"""Passwords, access tokens, API keys and rate limits."""

from __future__ import annotations

import time

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiwerk.core.auth import (
    PasswordHasher,
    PasswordParams,
    RateLimited,
    RateLimiter,
    TokenSigner,
    Unauthenticated,
    check_key,
    new_key,
)
from kiwerk.core.store import MetadataStore

FAST = PasswordParams(time_cost=1, memory_kib=8192, parallelism=1)


def test_passwords_hash_with_argon2id() -> None:
    """Hashes are Argon2id, salted, and verify only the right password."""
    hasher = PasswordHasher(FAST)
    a, b = hasher.hash("correct horse battery"), hasher.hash("correct horse battery")
    assert a.startswith("$argon2id$")
    assert a != b
    assert hasher.verify(a, "correct horse battery")
    assert not hasher.verify(a, "correct horse batterY")
    assert not hasher.verify(None, "anything at all")
    assert not hasher.verify("not-a-hash", "anything at all")
    with pytest.raises(ValueError, match="too short"):
        hasher.hash("short")


def test_tokens_expire_and_detect_tampering() -> None:
    """A token decodes until it expires; edits and other keys are refused."""
    signer = TokenSigner("secret-one", ttl_s=60)
    issued = signer.issue("ada")
    assert signer.decode(issued.token).subject == "ada"
    old = signer.issue("ada", now=time.time() - 120)
    with pytest.raises(Unauthenticated, match="expired"):
        signer.decode(old.token)
    with pytest.raises(Unauthenticated, match="invalid"):
        TokenSigner("secret-two").decode(issued.token)
    head, _, sig = issued.token.split(".")
    payload = jwt.utils.base64url_encode(b'{"sub":"root"}').decode()
    with pytest.raises(Unauthenticated):
        signer.decode(f"{head}.{payload}.{sig}")


def test_keys_check_hash_expiry_and_revocation() -> None:
    """A key proves itself until revoked or expired; a wrong secret never does."""
    store = MetadataStore.open("sqlite:///:memory:")
    text, record = new_key(
        name="gw", org="acme", role="viewer", created_by="ada",
        rate_per_minute=5, ttl_s=100,
    )  # fmt: skip
    store.add_key(record)
    assert check_key(store, text).key_id == record.key_id
    assert record.secret_hash not in text
    wrong = text[:-1] + ("A" if text[-1] != "A" else "B")
    for bad in (wrong, "kw_short", text + "x"):
        with pytest.raises(Unauthenticated):
            check_key(store, bad)
    with pytest.raises(Unauthenticated):
        check_key(store, text, now=record.created_at + 101)
    store.revoke_key(record.key_id)
    with pytest.raises(Unauthenticated):
        check_key(store, text)


@settings(max_examples=50, deadline=None)
@given(
    rate=st.integers(1, 120),
    gaps=st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=200),
)
def test_rate_limiter_never_exceeds_rate(rate: int, gaps: list[float]) -> None:
    """Accepted requests never exceed the burst plus the refill over the time."""
    limiter, now, accepted, waits = RateLimiter(), 0.0, 0, []
    for gap in gaps:
        now += gap
        try:
            limiter.hit("k", rate, now=now)
            accepted += 1
        except RateLimited as exc:
            waits.append(exc.retry_after)
    assert all(w > 0 for w in waits)
    assert accepted <= rate + now * rate / 60.0 + 1e-9


def test_rate_limiter_memory_is_bounded() -> None:
    """Only the most recent keys keep buckets."""
    limiter = RateLimiter(max_keys=10)
    for i in range(100):
        limiter.hit(f"k{i}", 1, now=0.0)
    assert len(limiter._buckets) == 10
