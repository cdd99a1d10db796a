"""The metadata store on SQLite and PostgreSQL: migrations, keys, tokens, jobs."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from kiwerk.core.auth import new_key
from kiwerk.core.store import (
    MetadataStore,
    current_revision,
    downgrade,
    head_revision,
    migrate,
)
from kiwerk.errors import ConfigError, Conflict, NotFound

TABLES = {
    "alembic_version",
    "api_keys",
    "credentials",
    "jobs",
    "monitor_windows",
    "predictions",
    "revoked_tokens",
}


def test_migrations_up_down_up(store_url: str) -> None:
    """Open migrates to head; downgrade drops every table; upgrade restores them."""
    store = MetadataStore.open(store_url)
    assert current_revision(store.engine) == head_revision()
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    downgrade(store.engine, "base")
    assert current_revision(store.engine) is None
    assert not (TABLES - {"alembic_version"}) & set(
        inspect(store.engine).get_table_names()
    )
    migrate(store.engine)
    assert current_revision(store.engine) == head_revision()
    MetadataStore.open(store_url).close()  # opening again is a no-op
    store.close()


def test_keys_round_trip_and_revoke(store_url: str) -> None:
    """Keys are stored by hash, listed per org, revoked once, unknown ones 404."""
    store = MetadataStore.open(store_url)
    text, record = new_key(
        name="x'; DROP TABLE api_keys; --",
        org="acme",
        role="viewer",
        created_by="ada",
        rate_per_minute=60,
    )
    store.add_key(record)
    with pytest.raises(Conflict):
        store.add_key(record)
    assert store.key(record.key_id) == record
    assert text[16:] not in repr(store.keys("acme"))
    assert store.keys("uni") == []
    store.revoke_key(record.key_id, at=5.0)
    store.revoke_key(record.key_id, at=9.0)
    revoked = store.key(record.key_id)
    assert revoked is not None
    assert revoked.revoked_at == 5.0
    with pytest.raises(NotFound):
        store.revoke_key("nope")
    store.close()


def test_passwords_tokens_and_jobs(store_url: str) -> None:
    """Password hashes replace, revoked tokens are remembered, jobs progress."""
    store = MetadataStore.open(store_url)
    assert store.password_hash("ada") is None
    store.set_password_hash("ada", "h1")
    store.set_password_hash("ada", "h2")
    assert store.password_hash("ada") == "h2"
    store.revoke_token("jti-1", expires_at=9e9)
    assert store.token_revoked("jti-1")
    assert not store.token_revoked("jti-2")
    job = store.create_job("train", org="acme", created_by="ana", params={"q": True})
    store.update_job(job.job_id, status="running", progress=1.5, message="fitting")
    store.update_job(job.job_id, status="succeeded", result={"version": 3})
    done = store.job(job.job_id)
    assert (done.status, done.progress, done.result) == (
        "succeeded",
        1.0,
        {"version": 3},
    )
    assert [j.job_id for j in store.jobs("acme")] == [job.job_id]
    assert store.jobs("uni") == []
    with pytest.raises(ValueError, match="status"):
        store.update_job(job.job_id, status="exploded")
    with pytest.raises(NotFound):
        store.job("nope")
    store.close()


def test_bad_url_is_a_config_error() -> None:
    """An unknown driver or unreachable server is a ConfigError naming the setting."""
    with pytest.raises(ConfigError, match="KIWERK_METADATA_DATABASE_URL"):
        MetadataStore.open("nosuchdb://x")
    with pytest.raises(ConfigError, match="KIWERK_METADATA_DATABASE_URL"):
        MetadataStore.open("postgresql://kw@127.0.0.1:1/none?connect_timeout=2")
