"""The metadata store: credentials, API keys, revoked tokens and jobs.

One SQLAlchemy engine per store; SQLite (the embedded default) or PostgreSQL
by URL. Every statement is built with SQLAlchemy Core, so values are always
bound parameters, never pasted into SQL text.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.exc import OperationalError

from kiwerk.core.store._migrate import migrate
from kiwerk.core.store._records import JOB_STATES, ApiKeyRecord, JobRecord
from kiwerk.core.store._tables import (
    api_keys,
    credentials,
    jobs,
    monitor_windows,
    outcomes,
    predictions,
    revoked_tokens,
)
from kiwerk.errors import ConfigError, Conflict, NotFound


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs.

    Examples
    --------
    >>> normalise_url("postgresql://kw@127.0.0.1:5433/kw")
    'postgresql+psycopg://kw@127.0.0.1:5433/kw'
    >>> normalise_url("sqlite:///tmp/kw.db")
    'sqlite:///tmp/kw.db'
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    except Exception as exc:  # bad URL or missing driver
        raise ConfigError(
            f"cannot use metadata store URL {url.split('@')[-1]!r}: {exc}; "
            "check KIWERK_METADATA_DATABASE_URL"
        ) from exc
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_con: Any, _record: Any) -> None:
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

    return engine


class MetadataStore:
    """Credentials, API keys, revoked tokens and jobs in a SQL database.

    Parameters
    ----------
    engine
        An engine whose database is migrated to the newest revision.

    Examples
    --------
    >>> store = MetadataStore.open("sqlite:///:memory:")
    >>> store.set_password_hash("ada", "$argon2id$...")
    >>> store.password_hash("ada")
    '$argon2id$...'
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> MetadataStore:
        """Connect to ``url`` and apply any pending migration.

        Raises
        ------
        ConfigError
            When the URL is malformed or the database cannot be reached.
        """
        engine = _engine(url)
        try:
            migrate(engine)
        except OperationalError as exc:
            raise ConfigError(
                f"cannot reach the metadata store at {engine.url!r}: "
                f"{exc.orig}; check KIWERK_METADATA_DATABASE_URL"
            ) from exc
        return cls(engine)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    # -- credentials -----------------------------------------------------------

    def set_password_hash(self, username: str, password_hash: str) -> None:
        """Store (or replace) the password hash of ``username``."""
        with self.engine.begin() as con:
            con.execute(delete(credentials).where(credentials.c.username == username))
            con.execute(
                insert(credentials).values(
                    username=username,
                    password_hash=password_hash,
                    updated_at=time.time(),
                )
            )

    def password_hash(self, username: str) -> str | None:
        """The stored password hash of ``username``, or ``None``."""
        with self.engine.connect() as con:
            value = con.execute(
                select(credentials.c.password_hash).where(
                    credentials.c.username == username
                )
            ).scalar_one_or_none()
        return None if value is None else str(value)

    # -- API keys ----------------------------------------------------------------

    def add_key(self, record: ApiKeyRecord) -> None:
        """Store a new API key record.

        Raises
        ------
        Conflict
            When a key with the same id exists.
        """
        try:
            with self.engine.begin() as con:
                con.execute(insert(api_keys).values(**record.__dict__))
        except SAIntegrityError as exc:
            raise Conflict(f"API key {record.key_id!r} already exists") from exc

    def key(self, key_id: str) -> ApiKeyRecord | None:
        """The key with id ``key_id``, or ``None``."""
        with self.engine.connect() as con:
            row = con.execute(
                select(api_keys).where(api_keys.c.key_id == key_id)
            ).one_or_none()
        return None if row is None else ApiKeyRecord(**row._asdict())

    def keys(self, org: str) -> list[ApiKeyRecord]:
        """Every key of organisation ``org``, newest first."""
        with self.engine.connect() as con:
            rows = con.execute(
                select(api_keys)
                .where(api_keys.c.org == org)
                .order_by(api_keys.c.created_at.desc())
            ).all()
        return [ApiKeyRecord(**r._asdict()) for r in rows]

    def revoke_key(self, key_id: str, *, at: float | None = None) -> None:
        """Mark a key revoked; revoking twice keeps the first time.

        Raises
        ------
        NotFound
            When no such key exists.
        """
        with self.engine.begin() as con:
            found = con.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id)
                .where(api_keys.c.revoked_at.is_(None))
                .values(revoked_at=time.time() if at is None else at)
            ).rowcount
            if not found and self.key(key_id) is None:
                raise NotFound(f"unknown API key {key_id!r}")

    # -- revoked tokens ------------------------------------------------------

    def revoke_token(self, jti: str, expires_at: float) -> None:
        """Deny the token ``jti`` until it expires anyway; drop stale entries."""
        with self.engine.begin() as con:
            con.execute(
                delete(revoked_tokens).where(revoked_tokens.c.expires_at < time.time())
            )
            con.execute(delete(revoked_tokens).where(revoked_tokens.c.jti == jti))
            con.execute(insert(revoked_tokens).values(jti=jti, expires_at=expires_at))

    def token_revoked(self, jti: str) -> bool:
        """Whether token ``jti`` was revoked."""
        with self.engine.connect() as con:
            return (
                con.execute(
                    select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == jti)
                ).first()
                is not None
            )

    # -- jobs ------------------------------------------------------------------

    def create_job(
        self, kind: str, *, org: str, created_by: str, params: dict[str, Any]
    ) -> JobRecord:
        """Record a new queued job and return it."""
        stamp = time.time()
        values = {
            "job_id": uuid.uuid4().hex,
            "kind": kind,
            "org": org,
            "created_by": created_by,
            "status": "queued",
            "progress": 0.0,
            "message": "queued",
            "params": json.dumps(params, sort_keys=True, default=str),
            "result": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        with self.engine.begin() as con:
            con.execute(insert(jobs).values(**values))
        return self.job(str(values["job_id"]))

    def update_job(
        self,
        job_id: str,
        *,
        status: str | None = None,
        progress: float | None = None,
        message: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        """Change a job's status, progress (0..1), message or result."""
        values: dict[str, Any] = {"updated_at": time.time()}
        if status is not None:
            if status not in JOB_STATES:
                raise ValueError(f"job status must be one of {JOB_STATES}")
            values["status"] = status
        if progress is not None:
            values["progress"] = min(max(float(progress), 0.0), 1.0)
        if message is not None:
            values["message"] = message
        if result is not None:
            values["result"] = json.dumps(result, sort_keys=True, default=str)
        with self.engine.begin() as con:
            con.execute(update(jobs).where(jobs.c.job_id == job_id).values(**values))

    def job(self, job_id: str) -> JobRecord:
        """The job ``job_id``.

        Raises
        ------
        NotFound
            When no such job exists.
        """
        with self.engine.connect() as con:
            row = con.execute(select(jobs).where(jobs.c.job_id == job_id)).first()
        if row is None:
            raise NotFound(f"unknown job {job_id!r}")
        return JobRecord.from_row(row)

    def jobs(self, org: str, *, limit: int = 100) -> list[JobRecord]:
        """The newest jobs of ``org``."""
        with self.engine.connect() as con:
            rows = con.execute(
                select(jobs)
                .where(jobs.c.org == org)
                .order_by(jobs.c.created_at.desc())
                .limit(limit)
            ).all()
        return [JobRecord.from_row(r) for r in rows]

    # -- prediction log and monitoring ---------------------------------------

    def log_predictions(self, rows: list[dict[str, Any]]) -> None:
        """Append prediction-log rows (model, version, org, actor, ts,
        input_hash, output) in one transaction."""
        if not rows:
            return
        with self.engine.begin() as con:
            con.execute(insert(predictions), rows)

    def predictions(self, model: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest logged predictions of ``model``, newest first."""
        with self.engine.connect() as con:
            rows = con.execute(
                select(predictions)
                .where(predictions.c.model == model)
                .order_by(predictions.c.id.desc())
                .limit(limit)
            ).all()
        return [r._asdict() for r in rows]

    def logged(self, model: str, prediction_id: str) -> dict[str, Any] | None:
        """The logged prediction ``prediction_id`` of ``model``, if any."""
        with self.engine.connect() as con:
            row = con.execute(
                select(predictions)
                .where(predictions.c.model == model)
                .where(predictions.c.prediction_id == prediction_id)
                .limit(1)
            ).first()
        return None if row is None else row._asdict()

    def add_outcomes(self, rows: list[dict[str, Any]]) -> None:
        """Store ground-truth outcomes (model, prediction_id, label, actor, ts)."""
        if rows:
            with self.engine.begin() as con:
                con.execute(insert(outcomes), rows)

    def add_window(self, model: str, version: int, window: dict[str, Any]) -> None:
        """Store one closed monitoring window of ``model``."""
        with self.engine.begin() as con:
            con.execute(
                insert(monitor_windows).values(
                    model=model,
                    version=version,
                    end_ts=float(window["end"]),
                    stats=json.dumps(window, sort_keys=True),
                )
            )

    def windows(
        self, model: str, *, version: int | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        """The newest monitoring windows of ``model``, oldest first."""
        query = select(monitor_windows).where(monitor_windows.c.model == model)
        if version is not None:
            query = query.where(monitor_windows.c.version == version)
        query = query.order_by(monitor_windows.c.id.desc()).limit(limit)
        with self.engine.connect() as con:
            rows = con.execute(query).all()
        return [{"version": r.version, **json.loads(r.stats)} for r in reversed(rows)]


__all__ = ["MetadataStore", "normalise_url"]
