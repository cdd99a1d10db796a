"""Fixtures of the metadata-store tests.

- ``store_url``: a fresh, empty store URL — a SQLite file, or a PostgreSQL
  schema of its own on the server named by ``KIWERK_TEST_POSTGRES_URL`` or
  ``.kiwerk-ci/postgres.url`` (skipped with the reason when unreachable,
  except under ``CI=true`` where it fails).
"""

from __future__ import annotations
