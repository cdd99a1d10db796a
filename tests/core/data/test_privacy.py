"""Privacy: secrets file, keyed pseudonyms, masking, dropping, k-anonymity."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiwerk.core.data import DatasetSpec, Pool, Pseudonymiser, load_secrets, mask_text
from kiwerk.errors import AccessDenied, ConfigError

OPERATORS = ("alice.meyer", "bernd.schulz", "carla.roth")


def test_secrets_file_created_private(tmp_path: Path) -> None:
    """The secrets file is created with 0600 rights and keeps its keys."""
    path = tmp_path / "secrets.toml"
    first = load_secrets(path, pool_root=tmp_path / "pool")
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_secrets(path, pool_root=tmp_path / "pool") == first


def test_secrets_refused_inside_pool_or_shared(tmp_path: Path) -> None:
    """Secrets inside the pool, or readable by others, are refused."""
    with pytest.raises(ConfigError, match="inside the pool"):
        load_secrets(tmp_path / "pool" / "s.toml", pool_root=tmp_path / "pool")
    path = tmp_path / "secrets.toml"
    load_secrets(path, pool_root=tmp_path / "pool")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_secrets(path, pool_root=tmp_path / "pool")


@given(st.lists(st.text(max_size=12), min_size=1, max_size=30))
def test_pseudonyms_stable_and_keyed(values: list[str]) -> None:
    """Equal values get equal pseudonyms, different keys different ones."""
    one = Pseudonymiser(b"a" * 32).apply(pa.array(values)).to_pylist()
    again = Pseudonymiser(b"a" * 32).apply(pa.array(values)).to_pylist()
    other = Pseudonymiser(b"b" * 32).apply(pa.array(values)).to_pylist()
    assert one == again
    assert all(x != y for x, y in zip(one, other, strict=True))
    assert len(set(one)) == len(set(values))


def test_mask_and_drop(pool: Pool, tmp_path: Path) -> None:
    """Masked columns lose e-mails and numbers; dropped columns are gone."""
    path = tmp_path / "notes.csv"
    path.write_text("id,note,name\n1,mail ann@x.de or 0211 555,Ann\n2,fine,Bo\n")
    spec = DatasetSpec(mask=("note",), drop=("name",))
    pool.create_dataset("notes", org="acme", actor="ana", spec=spec)
    pool.ingest(path, "notes", actor="ana")
    frame = pool.read("notes", actor="ana")
    assert list(frame.columns) == ["id", "note"]
    assert frame["note"].tolist() == ["mail [email] or [number] [number]", "fine"]
    assert mask_text(pa.array([None])).to_pylist() == [None]


def test_raw_personal_values_never_reach_the_pool(pool: Pool, pumps_csv: Path) -> None:
    """No file in the pool, data or metadata, holds a raw personal value."""
    spec = DatasetSpec(personal=("operator",), policy="quarantine")
    pool.create_dataset("pumps", org="acme", actor="ana", spec=spec)
    pool.ingest(pumps_csv, "pumps", actor="ana")
    frame = pool.read("pumps", actor="ana")
    assert frame["operator"].nunique() == 3
    assert not set(frame["operator"]) & set(OPERATORS)
    for path in pool.root.rglob("*"):
        if path.suffix == ".parquet":
            values = pq.read_table(path).to_pandas().astype(str).to_numpy().ravel()
            assert not set(values) & set(OPERATORS), path
        elif path.is_file():
            raw = path.read_bytes()
            assert not any(name.encode() in raw for name in OPERATORS), path


def test_k_anonymity_blocks_sharing(pool: Pool, pumps_csv: Path) -> None:
    """A dataset whose quasi-identifiers leave groups below k is not shared."""
    spec = DatasetSpec(quasi_identifiers=("machine",), k=3)
    pool.create_dataset("pumps", org="acme", actor="ana", spec=spec)
    pool.ingest(pumps_csv, "pumps", actor="ana")
    report = pool.k_anonymity("pumps", actor="ana")
    assert (report.k_min, report.groups_below_k, report.passed) == (2, 3, False)
    with pytest.raises(AccessDenied, match="fewer than k=3"):
        pool.grant("pumps", to_org="uni", level="read", actor="ada")
    assert pool.k_anonymity("pumps", actor="ana", k=2).passed
    pool.set_spec(
        "pumps", DatasetSpec(quasi_identifiers=("machine",), k=2), actor="ana"
    )
    pool.grant("pumps", to_org="uni", level="read", actor="ada")
    assert len(pool.read("pumps", actor="bob")) == 6
    lines = pumps_csv.read_text().splitlines()
    pumps_csv.write_text("\n".join([*lines, lines[1].replace("M1", "M4")]) + "\n")
    pool.ingest(pumps_csv, "pumps", actor="ana")  # M4 occurs once: below k=2
    with pytest.raises(AccessDenied, match="not 2-anonymous"):
        pool.read("pumps", actor="bob")
    assert len(pool.read("pumps", 1, actor="bob")) == 6
    assert len(pool.read("pumps", actor="ana")) == 7


def test_foreign_secrets_refused(pool: Pool, tmp_path: Path) -> None:
    """A pool opened with another secrets file (other keys) refuses to start."""
    with pytest.raises(ConfigError, match="does not hold this pool's keys"):
        Pool.open(pool.root, secrets_path=tmp_path / "other" / "secrets.toml")
