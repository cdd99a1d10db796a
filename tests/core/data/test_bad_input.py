"""Bad input: each case gives a clear error naming file/line/field, pool unchanged."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kiwerk.core.data import ColumnSpec, DatasetSpec, Pool
from kiwerk.errors import (
    AccessDenied,
    ContractViolation,
    DataFormatError,
    KiwerkError,
    NotFound,
)

HEADER = "ts,machine,operator,temp,speed\n"
ROW = "2024-01-01 00:00:00,M1,alice.meyer,20.5,1500\n"


def _write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def _parquet_bytes(tmp: Path) -> bytes:
    pd.DataFrame({"a": [1, 2]}).to_parquet(tmp / "real.parquet")
    return (tmp / "real.parquet").read_bytes()


# (id, file name, content builder, error class, expected line, expected text)
CASES: list[tuple[str, str, Callable[[Path], str | bytes], type, int | None, str]] = [
    (
        "extra-field",
        "x.csv",
        lambda _: HEADER + ROW * 2 + ROW.replace("1500", "1500,9") + ROW,
        DataFormatError,
        4,
        "fields",
    ),
    (
        "extra-field-late",
        "x.csv",
        lambda _: HEADER + ROW * 30_000 + ROW.replace("1500", "1500,9"),
        DataFormatError,
        30_002,
        "Columns",
    ),
    (
        "open-quote",
        "x.csv",
        lambda _: HEADER + ROW + '2024-01-01 00:01:00,"M1,x,1,2\n' + ROW,
        DataFormatError,
        3,
        "quote",
    ),
    (
        "latin-1",
        "x.csv",
        lambda _: (HEADER + ROW + "2024-01-01 00:01:00,M1,jürgen,1,2\n").encode(
            "latin-1"
        ),
        DataFormatError,
        3,
        "UTF-8",
    ),
    (
        "latin-1-late",
        "x.csv",
        lambda _: (HEADER + ROW * 3000 + "2024-01-01 00:01:00,M1,jürgen,1,2\n").encode(
            "latin-1"
        ),
        DataFormatError,
        3002,
        "unicode",
    ),
    ("empty", "x.csv", lambda _: "", DataFormatError, None, "empty"),
    ("blank", "x.csv", lambda _: "\n\n  \n", DataFormatError, None, "empty"),
    ("header-only", "x.csv", lambda _: HEADER, DataFormatError, None, "no data rows"),
    ("csv-is-parquet", "x.csv", _parquet_bytes, DataFormatError, None, "Parquet"),
    (
        "csv-is-gzip",
        "x.csv",
        lambda _: gzip.compress((HEADER + ROW).encode()),
        DataFormatError,
        None,
        "gzip",
    ),
    (
        "parquet-is-csv",
        "x.parquet",
        lambda _: HEADER + ROW,
        DataFormatError,
        None,
        "PAR1",
    ),
    ("jsonl-is-csv", "x.jsonl", lambda _: HEADER + ROW, DataFormatError, None, "JSON"),
    (
        "broken-json",
        "x.jsonl",
        lambda _: '{"a": 1}\n{"a": 2\n{"a": 3}\n',
        DataFormatError,
        3,  # where the parser notices the object of line 2 is unclosed
        "JSON",
    ),
    ("unknown-suffix", "x.xlsx", lambda _: "PK", DataFormatError, None, "file type"),
    (
        "out-of-range",
        "x.csv",
        lambda _: HEADER + ROW + ROW.replace("20.5", "99.0"),
        ContractViolation,
        3,
        "row 2",
    ),
    (
        "wrong-type",
        "x.csv",
        lambda _: HEADER + ROW + ROW.replace("1500", "fast"),
        ContractViolation,
        3,
        "fast",
    ),
]


@pytest.fixture
def loaded(pool: Pool, tmp_path: Path) -> Pool:
    """The pool fixture with one good version of a contracted dataset."""
    spec = DatasetSpec(
        columns=(
            ColumnSpec("temp", "float", min=0.0, max=50.0),
            ColumnSpec("speed", "int"),
        ),
        personal=("operator",),
    )
    pool.create_dataset("pumps", org="acme", actor="ana", spec=spec)
    pool.ingest(_write(tmp_path / "good.csv", HEADER + ROW * 3), "pumps", actor="ana")
    return pool


@pytest.mark.parametrize(
    ("name", "build", "error", "line", "text"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_file_changes_nothing(
    loaded: Pool,
    tmp_path: Path,
    snapshot: Callable[[Pool], dict[str, Any]],
    name: str,
    build: Callable[[Path], str | bytes],
    error: type[KiwerkError],
    line: int | None,
    text: str,
) -> None:
    """A bad file raises an error naming file and line; the pool stays as it was."""
    path = _write(tmp_path / name, build(tmp_path))
    before = snapshot(loaded)
    with pytest.raises(error, match=text) as info:
        loaded.ingest(path, "pumps", actor="ana")
    assert str(path) in str(info.value)
    assert getattr(info.value, "line", None) == line
    assert snapshot(loaded) == before


def test_missing_file(loaded: Pool, tmp_path: Path) -> None:
    """A file that does not exist is named in the error."""
    with pytest.raises(DataFormatError, match="no such file"):
        loaded.ingest(tmp_path / "absent.csv", "pumps", actor="ana")


def test_unknown_names_and_permission_change_nothing(
    loaded: Pool, tmp_path: Path, snapshot: Callable[[Pool], dict[str, Any]]
) -> None:
    """Unknown dataset or version and a missing permission leave the pool as it was."""
    good = _write(tmp_path / "more.csv", HEADER + ROW)
    before = snapshot(loaded)
    with pytest.raises(NotFound, match="unknown dataset 'pumpz'"):
        loaded.ingest(good, "pumpz", actor="ana")
    with pytest.raises(NotFound, match="no version 9"):
        loaded.read("pumps", 9, actor="ana")
    with pytest.raises(AccessDenied, match="'vic' needs role 'analyst'"):
        loaded.ingest(good, "pumps", actor="vic")
    with pytest.raises(AccessDenied):
        loaded.read("pumps", actor="bob")
    with pytest.raises(AccessDenied):
        loaded.ingest(good, "pumps", actor="mallory")
    assert snapshot(loaded) == before
