"""The append-only, hash-chained audit log of a pool.

Every entry stores the hash of the entry before it, and its own hash is an
HMAC (keyed with the pool's audit key from the secrets file) over its content
and that link. Editing an entry breaks its hash, deleting one breaks the chain
of sequence numbers and links, and the catalog's ``meta`` table remembers the
head, so cutting entries off the end is caught too. Entries are written in
the same transaction as the change they record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import duckdb

from kiwerk.core.data._catalog import Catalog, now
from kiwerk.errors import IntegrityError

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    seq: int
    ts: str
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditVerification:
    """The result of a successful :meth:`AuditLog.verify`."""

    entries: int
    head: str


class AuditLog:
    """Appends and verifies audit entries in the catalog.

    Parameters
    ----------
    catalog
        The pool's catalog.
    key
        The HMAC key (the pool's ``audit_key``).
    """

    def __init__(self, catalog: Catalog, key: bytes) -> None:
        self._catalog = catalog
        self._key = key

    def append(
        self,
        actor: str,
        action: str,
        target: str,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Append one entry in a transaction of its own; return its number."""
        with self._catalog.transaction() as con:
            return self.write(con, actor, action, target, details)

    def write(
        self,
        con: duckdb.DuckDBPyConnection,
        actor: str,
        action: str,
        target: str,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Append one entry inside the caller's transaction; return its number."""
        row = con.execute(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        seq, prev = (int(row[0]) + 1, str(row[1])) if row else (1, GENESIS)
        ts = now()
        body = json.dumps(details or {}, sort_keys=True, default=str)
        digest = self._hash(seq, ts, actor, action, target, body, prev)
        con.execute(
            "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [seq, ts, actor, action, target, body, prev, digest],
        )
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('audit_head', ?)", [f"{seq}:{digest}"]
        )
        return seq

    def _hash(self, *fields: object) -> str:
        message = json.dumps([str(f) for f in fields]).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def entries(
        self, *, limit: int | None = None, actor: str | None = None
    ) -> list[AuditEntry]:
        """The newest entries (all when ``limit`` is None), oldest first."""
        query = "SELECT * FROM audit"
        params: list[Any] = []
        if actor is not None:
            query += " WHERE actor = ?"
            params.append(actor)
        query += " ORDER BY seq DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        with self._catalog.transaction() as con:
            rows = con.execute(query, params).fetchall()
        return [_entry(r) for r in reversed(rows)]

    def verify(self, *, expect_head: str | None = None) -> AuditVerification:
        """Check every entry's hash, the links between them and the head.

        ``expect_head`` is a head ``"SEQ:HASH"`` printed by an earlier verify
        and kept outside the pool; the log must still contain that entry
        unchanged, which catches entries cut off the end together with the
        stored head.

        Raises
        ------
        IntegrityError
            Naming the first entry that was edited, deleted or inserted.
        """
        with self._catalog.transaction() as con:
            rows = con.execute("SELECT * FROM audit ORDER BY seq").fetchall()
            head = con.execute(
                "SELECT value FROM meta WHERE key = 'audit_head'"
            ).fetchone()
        prev, expected = GENESIS, 1
        for row in rows:
            entry = _entry((*row[:5], "{}", *row[6:]))
            if entry.seq != expected:
                raise IntegrityError(
                    f"audit entry {expected} is missing (the log jumps from "
                    f"{expected - 1} to {entry.seq}): entries were deleted"
                )
            if entry.prev_hash != prev:
                raise IntegrityError(
                    f"audit entry {entry.seq} does not link to entry {entry.seq - 1}: "
                    "the log was edited"
                )
            digest = self._hash(
                entry.seq,
                entry.ts,
                entry.actor,
                entry.action,
                entry.target,
                str(row[5]),
                entry.prev_hash,
            )
            if not hmac.compare_digest(digest, entry.hash):
                raise IntegrityError(
                    f"audit entry {entry.seq} ({entry.action} {entry.target} by "
                    f"{entry.actor}) was edited: its hash does not match"
                )
            prev, expected = entry.hash, expected + 1
        stored = str(head[0]) if head else None
        actual = f"{expected - 1}:{prev}" if rows else None
        if stored != actual:
            raise IntegrityError(
                f"the audit log ends at entry {expected - 1} but its head says "
                f"{stored}: entries were deleted from the end"
            )
        if expect_head is not None:
            _check_anchor(expect_head, [str(r[7]) for r in rows])
        return AuditVerification(entries=len(rows), head=prev)


def _check_anchor(anchor: str, hashes: list[str]) -> None:
    seq_text, _, digest = anchor.partition(":")
    if not seq_text.isdigit() or not digest:
        raise ValueError(f"expected a head as SEQ:HASH, got {anchor!r}")
    seq = int(seq_text)
    if seq > len(hashes):
        raise IntegrityError(
            f"the audit log has {len(hashes)} entries but the recorded head names "
            f"entry {seq}: entries were deleted from the end"
        )
    if seq < 1 or not hmac.compare_digest(hashes[seq - 1], digest):
        raise IntegrityError(f"audit entry {seq} differs from the recorded head")


def _entry(row: tuple[Any, ...]) -> AuditEntry:
    return AuditEntry(
        seq=int(row[0]),
        ts=str(row[1]),
        actor=str(row[2]),
        action=str(row[3]),
        target=str(row[4]),
        details=json.loads(row[5]),
        prev_hash=str(row[6]),
        hash=str(row[7]),
    )


__all__ = ["GENESIS", "AuditEntry", "AuditLog", "AuditVerification"]
