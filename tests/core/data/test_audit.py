"""The hash-chained audit log: what it records and what verify catches."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kiwerk.core.data import Pool
from kiwerk.errors import IntegrityError


def _tamper(pool: Pool, sql: str) -> None:
    con = duckdb.connect(str(pool.catalog.path))
    try:
        con.execute(sql)
    finally:
        con.close()


@pytest.fixture
def busy_pool(pool: Pool, pumps_csv: Path) -> Pool:
    """The pool fixture after an ingest, a grant, reads and an export."""
    pool.create_dataset("pumps", org="acme", actor="ana")
    pool.ingest(pumps_csv, "pumps", actor="ana")
    pool.grant("pumps", to_org="uni", level="read", actor="ada")
    pool.read("pumps", actor="bob", purpose="train")
    pool.export("pumps", pumps_csv.with_suffix(".out.csv"), actor="bob")
    return pool


def test_every_action_is_audited(busy_pool: Pool) -> None:
    """Writes, grants, reads and exports each leave one entry, in order."""
    actions = [(e.actor, e.action) for e in busy_pool.audit.entries()]
    assert actions[-5:] == [
        ("ana", "create_dataset"),
        ("ana", "ingest"),
        ("ada", "grant"),
        ("bob", "train"),
        ("bob", "export"),
    ]
    assert busy_pool.audit.verify().entries == len(actions)


def test_append_public(pool: Pool) -> None:
    """Other parts of kiwerk append their own entries to the same chain."""
    pool.audit.append("pipeline", "train_model", "pumps@1", {"model": "lgbm"})
    last = pool.audit.entries(limit=1)[0]
    assert (last.action, last.details) == ("train_model", {"model": "lgbm"})
    pool.audit.verify()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE audit SET actor = 'eve' WHERE seq = 3", "entry 3 .* was edited"),
        ("UPDATE audit SET details = '{}' WHERE seq = 9", "entry 9 .* was edited"),
        ("DELETE FROM audit WHERE seq = 4", "entry 4 is missing"),
        ("DELETE FROM audit WHERE seq >= 10", "deleted from the end"),
        ("UPDATE audit SET seq = 99 WHERE seq = 10", "entry 10 is missing"),
    ],
    ids=["edit-actor", "edit-details", "delete-middle", "cut-tail", "renumber"],
)
def test_verify_catches_tampering(busy_pool: Pool, sql: str, message: str) -> None:
    """Editing, deleting or cutting entries is caught, naming the first bad one."""
    busy_pool.audit.verify()
    _tamper(busy_pool, sql)
    with pytest.raises(IntegrityError, match=message):
        busy_pool.audit.verify()


def test_external_head_catches_truncation(busy_pool: Pool) -> None:
    """Cutting entries and rewriting the stored head is caught by a kept head."""
    kept = busy_pool.audit.verify()
    anchor = f"{kept.entries}:{kept.head}"
    busy_pool.audit.verify(expect_head=anchor)
    earlier = busy_pool.audit.entries()[-2]
    _tamper(busy_pool, f"DELETE FROM audit WHERE seq = {kept.entries}")
    _tamper(
        busy_pool,
        f"UPDATE meta SET value = '{earlier.seq}:{earlier.hash}' "
        "WHERE key = 'audit_head'",
    )
    busy_pool.audit.verify()  # consistent on its own ...
    with pytest.raises(IntegrityError, match="deleted from the end"):
        busy_pool.audit.verify(expect_head=anchor)  # ... but not with the anchor
