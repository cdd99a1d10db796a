"""The tables of the metadata store (SQLAlchemy Core).

Times are stored as UNIX seconds (float) so that SQLite and PostgreSQL
compare them the same way; JSON payloads are stored as text.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

credentials = Table(
    "credentials",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("updated_at", Float, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("secret_hash", String(64), nullable=False),
    Column("name", String(128), nullable=False),
    Column("org", String(64), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
    Column("rate_per_minute", Integer, nullable=False),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("expires_at", Float, nullable=False, index=True),
)

jobs = Table(
    "jobs",
    metadata,
    Column("job_id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("org", String(64), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", Float, nullable=False),
    Column("message", Text, nullable=False),
    Column("params", Text, nullable=False),
    Column("result", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_jobs_org_created", "org", "created_at"),
)

predictions = Table(
    "predictions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("org", String(64), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("ts", Float, nullable=False),
    Column("input_hash", String(64), nullable=False),
    Column("output", Text, nullable=False),
    Column("prediction_id", String(48), nullable=True),
    Index("ix_predictions_model_ts", "model", "ts"),
    Index("ix_predictions_pid", "prediction_id"),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String(128), nullable=False),
    Column("prediction_id", String(48), nullable=False),
    Column("label", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("ts", Float, nullable=False),
    Index("ix_outcomes_model_pid", "model", "prediction_id"),
)

monitor_windows = Table(
    "monitor_windows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("end_ts", Float, nullable=False),
    Column("stats", Text, nullable=False),
    Index("ix_monitor_windows_model_end", "model", "end_ts"),
)

__all__ = [
    "api_keys",
    "credentials",
    "jobs",
    "metadata",
    "monitor_windows",
    "outcomes",
    "predictions",
    "revoked_tokens",
]
