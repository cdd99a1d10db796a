"""Rows of the metadata store as frozen dataclasses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JOB_STATES = ("queued", "running", "succeeded", "failed")


@dataclass(frozen=True)
class ApiKeyRecord:
    """A stored API key: only the hash of its secret is kept.

    ``actor`` is the pool user the key acts as (a service user created for
    the key with the key's role in the key's organisation).
    """

    key_id: str
    secret_hash: str
    name: str
    org: str
    role: str
    actor: str
    created_by: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None
    rate_per_minute: int

    def active(self, now: float) -> bool:
        """Whether the key is neither revoked nor expired at ``now``.

        Examples
        --------
        >>> rec = ApiKeyRecord("k", "h", "n", "acme", "viewer", "key-k", "ada",
        ...                    0.0, 10.0, None, 60)
        >>> rec.active(5.0), rec.active(11.0)
        (True, False)
        """
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class JobRecord:
    """A background job (training, evaluation, ...) with its progress."""

    job_id: str
    kind: str
    org: str
    created_by: str
    status: str
    progress: float
    message: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row: Any) -> JobRecord:
        """Build a record from a ``jobs`` row."""
        return cls(
            job_id=row.job_id,
            kind=row.kind,
            org=row.org,
            created_by=row.created_by,
            status=row.status,
            progress=float(row.progress),
            message=row.message,
            params=json.loads(row.params),
            result=None if row.result is None else json.loads(row.result),
            created_at=float(row.created_at),
            updated_at=float(row.updated_at),
        )


__all__ = ["JOB_STATES", "ApiKeyRecord", "JobRecord"]
