"""Fixtures of the data-pool tests.

- ``pool``: a fresh pool under ``tmp_path`` with organisation ``acme`` (owner
  ``ada``, analyst ``ana``, viewer ``vic``) and organisation ``uni`` (analyst
  ``bob``); its secrets file lies beside, not inside, the pool.
- ``pumps_csv``: a tiny hand-made sensor CSV (6 rows, one operator column).
- ``snapshot``: a function giving everything observable about a pool (catalog
  tables, audit log, files with their hashes) to compare before and after.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from kiwerk.core.data import Pool

PUMPS = """\
ts,machine,operator,temp,speed
2024-01-01 00:00:00,M1,alice.meyer,20.5,1500
2024-01-01 00:01:00,M1,alice.meyer,21.0,1510
2024-01-01 00:02:00,M2,bernd.schulz,22.5,1490
2024-01-01 00:03:00,M2,bernd.schulz,23.0,1505
2024-01-01 00:04:00,M3,carla.roth,19.5,1520
2024-01-01 00:05:00,M3,carla.roth,18.0,1480
"""


@pytest.fixture
def pool(tmp_path: Path) -> Pool:
    """A fresh pool with organisations acme (ada, ana, vic) and uni (bob)."""
    pool = Pool.open(
        tmp_path / "pool", secrets_path=tmp_path / "secrets.toml", lock_timeout=30
    )
    pool.bootstrap("acme", "ada")
    pool.add_user("ana", org="acme", role="analyst", actor="ada")
    pool.add_user("vic", org="acme", role="viewer", actor="ada")
    pool.create_organisation("uni", actor="ada")
    pool.add_user("bob", org="uni", role="analyst", actor="ada")
    return pool


@pytest.fixture
def pumps_csv(tmp_path: Path) -> Path:
    """Six sensor rows of three machines and three named operators."""
    path = tmp_path / "pumps.csv"
    path.write_text(PUMPS, encoding="utf-8")
    return path


def _snapshot(pool: Pool) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    con = duckdb.connect(str(pool.catalog.path), read_only=True)
    try:
        for table in (
            "orgs",
            "users",
            "datasets",
            "versions",
            "grants",
            "audit",
            "meta",
        ):
            tables[table] = sorted(con.execute(f"SELECT * FROM {table}").fetchall())
    finally:
        con.close()
    files = {
        str(p.relative_to(pool.root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(pool.root.rglob("*"))
        if p.is_file()
        and p.parent.name != "locks"
        and not p.name.startswith("catalog.duckdb")
    }
    dirs = sorted(
        str(p.relative_to(pool.root)) for p in pool.root.rglob("*") if p.is_dir()
    )
    return {"tables": tables, "files": files, "dirs": dirs}


@pytest.fixture
def snapshot() -> Callable[[Pool], dict[str, Any]]:
    """Everything observable about a pool, to compare before and after."""
    return _snapshot
