"""Data contracts: loading, type and value checks, reject and quarantine."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiwerk.core.data import ColumnSpec, DatasetSpec, Pool, Pseudonymiser, stage
from kiwerk.errors import ContractViolation, DataFormatError

TOML = """
[dataset]
policy = "quarantine"
personal = ["operator"]

[columns.temp]
dtype = "float"
min = 19.0
max = 23.0

[columns.machine]
dtype = "str"
allowed = ["M1", "M2", "M3"]
"""

YAML = """
dataset:
  policy: quarantine
  personal: [operator]
columns:
  temp: {dtype: float, min: 19.0, max: 23.0}
  machine: {dtype: str, allowed: [M1, M2, M3]}
"""


@pytest.mark.parametrize(("name", "text"), [("c.toml", TOML), ("c.yaml", YAML)])
def test_contract_files_load_alike(tmp_path: Path, name: str, text: str) -> None:
    """A TOML and a YAML contract with the same content give the same spec."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    spec = DatasetSpec.from_file(path)
    assert spec.policy == "quarantine"
    assert spec.personal == ("operator",)
    assert spec.column("temp") == ColumnSpec("temp", "float", min=19.0, max=23.0)


def test_bad_contract_file_names_problem(tmp_path: Path) -> None:
    """An unknown dtype or key in a contract is a DataFormatError naming the file."""
    path = tmp_path / "c.toml"
    path.write_text('[columns.x]\ndtype = "complex"\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match="unknown dtype 'complex'"):
        DatasetSpec.from_file(path)
    path.write_text('[columns.x]\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"c\.toml.*colour"):
        DatasetSpec.from_file(path)


@given(
    policy=st.sampled_from(["reject", "quarantine"]),
    k=st.integers(1, 50),
    lo=st.floats(-1e6, 0, allow_nan=False),
    personal=st.lists(st.text("abcxyz", min_size=1, max_size=5), max_size=3),
)
def test_spec_survives_json_round_trip(
    policy: str, k: int, lo: float, personal: list[str]
) -> None:
    """Any valid spec comes back unchanged from its JSON form."""
    spec = DatasetSpec(
        columns=(ColumnSpec("a", "float", min=lo, max=1.0), ColumnSpec("b", "str")),
        policy=policy,  # type: ignore[arg-type]
        personal=tuple(personal),
        k=k,
    )
    assert DatasetSpec.from_json(spec.to_json()) == spec


def _spec(**changes: object) -> DatasetSpec:
    base = DatasetSpec(
        columns=(
            ColumnSpec("temp", "float", min=19.0, max=23.0),
            ColumnSpec("machine", "str", allowed=("M1", "M2", "M3")),
            ColumnSpec("speed", "int"),
        ),
        personal=("operator",),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_reject_names_column_and_row(pool: Pool, pumps_csv: Path) -> None:
    """Under 'reject' a value out of range names its column, row and line."""
    pool.create_dataset("pumps", org="acme", actor="ana", spec=_spec())
    with pytest.raises(ContractViolation) as info:
        pool.ingest(pumps_csv, "pumps", actor="ana")
    assert info.value.field == "temp"
    assert info.value.line == 7  # row 6, after the header
    assert "row 6" in str(info.value)


def test_quarantine_keeps_good_rows(pool: Pool, pumps_csv: Path) -> None:
    """Under 'quarantine' bad rows go to the side table, pseudonymised."""
    spec = _spec(policy="quarantine")
    pool.create_dataset("pumps", org="acme", actor="ana", spec=spec)
    report = pool.ingest(pumps_csv, "pumps", actor="ana")
    assert (report.rows, report.quarantined) == (5, 1)
    bad = pool.quarantine("pumps", actor="ana")
    assert bad["temp"].tolist() == [18.0]
    assert bad["operator"].tolist() != ["carla.roth"]
    quality = report.quality.to_dict()
    assert quality["violations"][0]["row"] == 6
    assert quality["violation_counts"] == {"temp": 1}


def test_wrong_type_names_row(pool: Pool, pumps_csv: Path) -> None:
    """A value that is not of the declared type names column and line."""
    text = pumps_csv.read_text().replace("1490", "fast")
    pumps_csv.write_text(text)
    pool.create_dataset("pumps", org="acme", actor="ana", spec=_spec())
    with pytest.raises(ContractViolation, match='"fast"') as info:
        pool.ingest(pumps_csv, "pumps", actor="ana")
    assert info.value.line == 4
    assert info.value.field == "speed"


def test_missing_required_column(pool: Pool, pumps_csv: Path) -> None:
    """A file without a declared column is refused, naming the column."""
    spec = _spec(columns=(ColumnSpec("pressure", "float"),))
    pool.create_dataset("pumps", org="acme", actor="ana", spec=spec)
    with pytest.raises(ContractViolation) as info:
        pool.ingest(pumps_csv, "pumps", actor="ana")
    assert info.value.field == "pressure"


def test_unique_across_batches(tmp_path: Path) -> None:
    """Uniqueness holds across batches; the first occurrence is kept."""
    path = tmp_path / "ids.csv"
    path.write_text("id,v\n" + "".join(f"{i % 7},{i}\n" for i in range(10)))
    spec = DatasetSpec(
        columns=(ColumnSpec("id", "int", unique=True),), policy="quarantine"
    )
    staged = stage(path, spec, tmp_path / "out", Pseudonymiser(b"k"), batch_rows=3)
    assert staged.rows == 7
    assert [v.row for v in staged.quality.violations] == [8, 9, 10]


def test_missing_value_limit(tmp_path: Path) -> None:
    """A column with more missing values than allowed rejects the file."""
    path = tmp_path / "gaps.csv"
    path.write_text("a,b\n1,\n2,\n3,x\n4,y\n")
    spec = DatasetSpec(columns=(ColumnSpec("b", "str", max_null_share=0.25),))
    with pytest.raises(ContractViolation, match=r"50\.0% missing"):
        stage(path, spec, tmp_path / "out", Pseudonymiser(b"k"))


def test_not_nullable(tmp_path: Path) -> None:
    """A missing value in a non-nullable column is a violation at its row."""
    path = tmp_path / "gaps.csv"
    path.write_text("a,b\n1,x\n2,\n")
    spec = DatasetSpec(columns=(ColumnSpec("b", "str", nullable=False),))
    with pytest.raises(ContractViolation) as info:
        stage(path, spec, tmp_path / "out", Pseudonymiser(b"k"))
    assert (info.value.field, info.value.line) == ("b", 3)


def test_strict_contract_refuses_extra_columns(pool: Pool, pumps_csv: Path) -> None:
    """A strict contract names the first column it does not declare."""
    spec = _spec(strict=True)
    pool.create_dataset("pumps", org="acme", actor="ana", spec=spec)
    with pytest.raises(ContractViolation) as info:
        pool.ingest(pumps_csv, "pumps", actor="ana")
    assert info.value.field == "ts"


def test_check_stores_nothing(pool: Pool, pumps_csv: Path) -> None:
    """A dry-run check reports violations and leaves no version behind."""
    pool.create_dataset("pumps", org="acme", actor="ana", spec=_spec())
    report = pool.check(pumps_csv, "pumps", actor="ana")
    assert report.violation_total == 1
    assert pool.versions("pumps", actor="ana") == []
    assert not any((pool.root / "staging").iterdir())


def test_quarantine_takes_unparsable_values(pool: Pool, pumps_csv: Path) -> None:
    """Under 'quarantine' a value of the wrong type sends only its row aside."""
    pumps_csv.write_text(pumps_csv.read_text().replace("1490", "fast"))
    pool.create_dataset(
        "pumps", org="acme", actor="ana", spec=_spec(policy="quarantine")
    )
    report = pool.ingest(pumps_csv, "pumps", actor="ana")
    assert (report.rows, report.quarantined) == (4, 2)
    first = report.quality.violations[0]
    assert (first.row, first.line, first.column, first.value) == (3, 4, "speed", "fast")
    assert first.check == "dtype(int64)"
    assert pool.read("pumps", actor="ana")["speed"].dtype == "int64"
