"""Versions, reads, roles, grants and queries of the pool."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kiwerk.core.data import DatasetSpec, Pool
from kiwerk.errors import AccessDenied, Conflict, DataError, NotFound


def test_ingest_makes_numbered_versions(pool: Pool, pumps_csv: Path) -> None:
    """Each ingest writes the next version; read gives latest or the one asked for."""
    pool.create_dataset("pumps", org="acme", actor="ana")
    first = pool.ingest(pumps_csv, "pumps", actor="ana")
    pumps_csv.write_text(pumps_csv.read_text() + "2024-01-01 00:06:00,M1,x,1,2\n")
    second = pool.ingest(pumps_csv, "pumps", actor="ana")
    assert (first.version, second.version) == (1, 2)
    assert len(pool.read("pumps", actor="vic")) == 7
    assert len(pool.read("pumps", 1, actor="vic")) == 6
    assert first.content_hash != second.content_hash
    info = pool.version_info("pumps", 1, actor="vic")
    assert (info.dataset, info.version, info.rows) == ("pumps", 1, 6)
    assert info.content_hash == first.content_hash
    assert info.created_at
    assert [v.version for v in pool.versions("pumps", actor="vic")] == [1, 2]


def test_same_content_same_hash(pool: Pool, pumps_csv: Path) -> None:
    """Ingesting identical content twice gives identical content hashes."""
    pool.create_dataset("pumps", org="acme", actor="ana")
    a = pool.ingest(pumps_csv, "pumps", actor="ana")
    b = pool.ingest(pumps_csv, "pumps", actor="ana")
    assert a.content_hash == b.content_hash
    assert len(a.content_hash) == 64


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_parquet_and_json_lines(
    pool: Pool, pumps_csv: Path, tmp_path: Path, suffix: str
) -> None:
    """Parquet and JSON-lines files ingest to the same rows as the CSV."""
    frame = pd.read_csv(pumps_csv)
    path = tmp_path / f"pumps{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_json(path, orient="records", lines=True)
    pool.create_dataset("pumps", org="acme", actor="ana")
    pool.ingest(path, "pumps", actor="ana")
    out = pool.read("pumps", actor="ana")
    assert out["speed"].tolist() == frame["speed"].tolist()
    assert out["machine"].tolist() == frame["machine"].tolist()


def test_roles_rank(pool: Pool, pumps_csv: Path) -> None:
    """Viewers cannot ingest; analysts cannot add users; owners can."""
    pool.create_dataset("pumps", org="acme", actor="ana")
    with pytest.raises(AccessDenied, match="needs role 'analyst'"):
        pool.ingest(pumps_csv, "pumps", actor="vic")
    with pytest.raises(AccessDenied):
        pool.add_user("eve", org="acme", role="owner", actor="ana")
    pool.require_role("ada", "acme", "analyst")
    with pytest.raises(AccessDenied):
        pool.require_role("bob", "acme", "viewer")
    with pytest.raises(NotFound):
        pool.require_role("ada", "nowhere", "viewer")


def test_bootstrap_only_once(pool: Pool) -> None:
    """A pool with users refuses a second bootstrap."""
    with pytest.raises(Conflict):
        pool.bootstrap("evil", "mallory")


def test_train_only_grant(pool: Pool, pumps_csv: Path, tmp_path: Path) -> None:
    """A train grant lets another org train but never read or export rows."""
    pool.create_dataset("pumps", org="acme", actor="ana")
    pool.ingest(pumps_csv, "pumps", actor="ana")
    with pytest.raises(AccessDenied):
        pool.read("pumps", actor="bob", purpose="train")
    pool.grant("pumps", to_org="uni", level="train", actor="ada")
    assert len(pool.read("pumps", actor="bob", purpose="train")) == 6
    for purpose in ("read", "export"):
        with pytest.raises(AccessDenied, match="only 'train' access"):
            pool.read("pumps", actor="bob", purpose=purpose)
    with pytest.raises(AccessDenied):
        pool.export("pumps", tmp_path / "out.csv", actor="bob")
    assert pool.version_info("pumps", actor="bob").rows == 6
    pool.grant("pumps", to_org="uni", level="read", actor="ada")
    assert pool.export("pumps", tmp_path / "out.csv", actor="bob") == 6
    assert len(pd.read_csv(tmp_path / "out.csv")) == 6


def test_grant_needs_owner(pool: Pool) -> None:
    """Only an owner of the dataset's organisation can grant it."""
    pool.create_dataset("pumps", org="acme", actor="ana")
    with pytest.raises(AccessDenied):
        pool.grant("pumps", to_org="uni", level="read", actor="ana")


def test_unknown_dataset_and_version(pool: Pool, pumps_csv: Path) -> None:
    """Unknown datasets and versions raise NotFound with a hint."""
    with pytest.raises(NotFound, match="unknown dataset 'nope'"):
        pool.read("nope", actor="ada")
    pool.create_dataset("pumps", org="acme", actor="ana")
    with pytest.raises(NotFound, match="no versions yet"):
        pool.read("pumps", actor="ada")
    pool.ingest(pumps_csv, "pumps", actor="ana")
    with pytest.raises(NotFound, match="no version 7"):
        pool.version_info("pumps", 7, actor="ada")


def test_sql_over_permitted_datasets(pool: Pool, pumps_csv: Path) -> None:
    """SQL sees the datasets the user may read and no files besides."""
    pool.create_dataset("pumps", org="acme", actor="ana")
    pool.ingest(pumps_csv, "pumps", actor="ana")
    out = pool.sql("SELECT machine, count(*) AS n FROM pumps GROUP BY 1", actor="vic")
    assert sorted(out["n"]) == [2, 2, 2]
    with pytest.raises(DataError, match="tables you may query: \\[\\]"):
        pool.sql("SELECT * FROM pumps", actor="bob")
    with pytest.raises(DataError):
        pool.sql(f"SELECT * FROM read_csv('{pumps_csv}')", actor="ada")


def test_diff_between_versions(pool: Pool, pumps_csv: Path) -> None:
    """Diff counts added and removed rows and schema changes."""
    pool.create_dataset("pumps", org="acme", actor="ana")
    pool.ingest(pumps_csv, "pumps", actor="ana")
    lines = pumps_csv.read_text().splitlines()
    pumps_csv.write_text(
        "\n".join([*lines[:-1], "2024-01-02 00:00:00,M9,z,5,5"]) + "\n"
    )
    pool.ingest(pumps_csv, "pumps", actor="ana")
    diff = pool.diff("pumps", 1, 2, actor="ana")
    assert (diff.rows_removed, diff.rows_added) == (1, 1)
    assert diff.rows_old == diff.rows_new == 6
    assert not diff.changed_types


def test_spec_roundtrips_through_catalog(pool: Pool) -> None:
    """The spec stored with a dataset comes back unchanged."""
    spec = DatasetSpec(personal=("operator",), policy="quarantine", k=3)
    pool.create_dataset("pumps", org="acme", actor="ana", spec=spec)
    assert pool.spec("pumps", actor="vic") == spec


def test_export_of_empty_version(pool: Pool, tmp_path: Path) -> None:
    """A version whose rows were all quarantined exports as a header-only CSV."""
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    spec = DatasetSpec.from_dict(
        {
            "dataset": {"policy": "quarantine"},
            "columns": {"a": {"dtype": "int", "min": 5}},
        }
    )
    pool.create_dataset("bad", org="acme", actor="ana", spec=spec)
    assert pool.ingest(path, "bad", actor="ana").rows == 0
    assert pool.export("bad", tmp_path / "out.csv", actor="ana") == 0
    assert (tmp_path / "out.csv").read_text().splitlines() == ['"a","b"']
