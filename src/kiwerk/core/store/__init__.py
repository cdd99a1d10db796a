"""The metadata store: credentials, API keys, revoked tokens, jobs.

SQLAlchemy over SQLite (the embedded default under the kiwerk home) or
PostgreSQL, with Alembic revisions shipped in :mod:`kiwerk.core.store.migrations`.
The data pool's catalog stays the source of truth for organisations, users,
roles and grants; this store keeps what the service needs besides.

Examples
--------
>>> from kiwerk.core.store import MetadataStore
>>> MetadataStore.open("sqlite:///:memory:").jobs("acme")
[]
"""

from kiwerk.core.store._migrate import (
    current_revision,
    downgrade,
    head_revision,
    migrate,
)
from kiwerk.core.store._records import ApiKeyRecord, JobRecord
from kiwerk.core.store._store import MetadataStore, normalise_url

__all__ = [
    "ApiKeyRecord",
    "JobRecord",
    "MetadataStore",
    "current_revision",
    "downgrade",
    "head_revision",
    "migrate",
    "normalise_url",
]
