"""Fixtures of the metadata-store tests.

- ``store_url``: a fresh, empty store URL — a SQLite file, or a PostgreSQL
  schema of its own on the server named by ``KIWERK_TEST_POSTGRES_URL`` or
  ``.kiwerk-ci/postgres.url`` (skipped with the reason when unreachable,
  except under ``CI=true`` where it fails).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[3]


def _postgres_url() -> str:
    url = os.environ.get("KIWERK_TEST_POSTGRES_URL")
    path = REPO / ".kiwerk-ci" / "postgres.url"
    if not url and path.is_file():
        url = path.read_text(encoding="utf-8").strip()
    reason = "no PostgreSQL (run `bash scripts/services start`)"
    if url:
        try:
            engine = create_engine(url)
            with engine.connect() as con:
                con.execute(text("SELECT 1"))
            engine.dispose()
            return url
        except Exception as exc:
            reason = f"PostgreSQL at {url.split('@')[-1]} unreachable: {exc}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must test PostgreSQL: {reason}")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty metadata store: a SQLite file or a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meta.db'}"
        return
    base = _postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as con:
        con.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{base}?options=-csearch_path%3D{schema}"
    with admin.begin() as con:
        con.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()
