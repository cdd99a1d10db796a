"""The pool's catalog: an embedded DuckDB database guarded by a file lock.

DuckDB lets one process at a time open a database file for writing, so every
catalog access opens the file under ``locks/catalog.lock``, runs one
transaction and closes it again. Long work (streaming an ingest) happens
outside the lock; only the publishing step takes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

from kiwerk.errors import Conflict

CATALOG_FILE = "catalog.duckdb"
SCHEMA_VERSION = 1

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS orgs (
    name VARCHAR PRIMARY KEY, created_at VARCHAR, created_by VARCHAR);
CREATE TABLE IF NOT EXISTS users (
    name VARCHAR, org VARCHAR, role VARCHAR, created_at VARCHAR,
    PRIMARY KEY (name, org));
CREATE TABLE IF NOT EXISTS datasets (
    name VARCHAR PRIMARY KEY, org VARCHAR, spec VARCHAR, created_at VARCHAR,
    created_by VARCHAR);
CREATE TABLE IF NOT EXISTS versions (
    dataset VARCHAR, version INTEGER, directory VARCHAR, content_hash VARCHAR,
    rows BIGINT, quarantined BIGINT, columns VARCHAR, source VARCHAR,
    k_min BIGINT, created_at VARCHAR, created_by VARCHAR,
    PRIMARY KEY (dataset, version));
CREATE TABLE IF NOT EXISTS grants (
    dataset VARCHAR, org VARCHAR, level VARCHAR, granted_at VARCHAR,
    granted_by VARCHAR, PRIMARY KEY (dataset, org));
CREATE TABLE IF NOT EXISTS audit (
    seq BIGINT PRIMARY KEY, ts VARCHAR, actor VARCHAR, action VARCHAR,
    target VARCHAR, details VARCHAR, prev_hash VARCHAR, hash VARCHAR);
"""


def connect(
    database: str = ":memory:", config: dict[str, str] | None = None
) -> duckdb.DuckDBPyConnection:
    """Open DuckDB without its own progress bar (the CLI draws one)."""
    settings: dict[str, str | bool | int | float | list[str]] = dict(config or {})
    con = duckdb.connect(database, config=settings)
    con.execute("SET enable_progress_bar = false")
    return con


def now() -> str:
    """The current UTC time as ISO 8601 text."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Catalog:
    """Opens the catalog database for one transaction at a time.

    Parameters
    ----------
    root
        The pool folder; the database is ``root/catalog.duckdb``.
    lock_timeout
        Seconds to wait for another process's transaction before giving up
        with :class:`~kiwerk.errors.Conflict`.
    """

    def __init__(self, root: Path, *, lock_timeout: float) -> None:
        self.path = root / CATALOG_FILE
        self.lock = FileLock(root / "locks" / "catalog.lock", timeout=lock_timeout)
        with self.transaction() as con:
            con.execute(_TABLES)
            con.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                [str(SCHEMA_VERSION)],
            )

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a connection inside one transaction; commit unless it raises."""
        try:
            self.lock.acquire()
        except Timeout as exc:
            raise Conflict(
                f"the pool catalog {self.path} is busy (another process holds "
                f"{self.lock.lock_file}); try again"
            ) from exc
        try:
            con = connect(str(self.path))
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                con.close()
        finally:
            self.lock.release()


__all__ = ["CATALOG_FILE", "Catalog", "connect", "now"]
