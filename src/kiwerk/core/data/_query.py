"""Queries over stored versions: SQL through DuckDB, version diffs, exports.

SQL runs in a private in-memory DuckDB whose only tables are views on the
Parquet files the user may read; file access is then switched off, so a query
cannot reach any other file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from kiwerk.core.data._catalog import connect
from kiwerk.errors import DataError, DataFormatError


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def run_sql(query: str, tables: dict[str, Path]) -> pd.DataFrame:
    """Run ``query`` over views named after ``tables`` (name → Parquet file).

    Raises
    ------
    DataError
        When the query is invalid or touches anything but the given tables.
    """
    con = connect(config={"temp_directory": ""})
    try:
        for name, path in tables.items():
            con.execute(
                f"CREATE VIEW {_quote(name)} AS "
                f"SELECT * FROM read_parquet({_literal(path)})"
            )
        paths = ", ".join(_literal(p) for p in tables.values())
        con.execute(f"SET allowed_paths = [{paths}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        try:
            relation = con.sql(query)
            if relation is None:  # a statement without a result, e.g. SET
                return pd.DataFrame()
            frame: pd.DataFrame = relation.to_arrow_table().to_pandas()
            return frame
        except duckdb.Error as exc:
            raise DataError(
                f"query failed: {str(exc).splitlines()[0]} (tables you may query: "
                f"{sorted(tables)})"
            ) from exc
    finally:
        con.close()


@dataclass(frozen=True)
class VersionDiff:
    """How two versions of a dataset differ."""

    dataset: str
    old: int
    new: int
    rows_old: int
    rows_new: int
    added_columns: tuple[str, ...]
    removed_columns: tuple[str, ...]
    changed_types: dict[str, tuple[str, str]]
    rows_removed: int
    rows_added: int

    def to_dict(self) -> dict[str, Any]:
        """The diff as plain JSON-able data."""
        return asdict(self)


def diff_versions(
    dataset: str, old: tuple[int, Path], new: tuple[int, Path]
) -> VersionDiff:
    """Compare schemas and rows (as multisets over the shared columns)."""
    schema_a = pq.read_schema(old[1])
    schema_b = pq.read_schema(new[1])
    types_a = {f.name: str(f.type) for f in schema_a}
    types_b = {f.name: str(f.type) for f in schema_b}
    shared = [n for n in schema_a.names if n in types_b]
    cols = ", ".join(_quote(c) for c in shared) or "1"
    a, b = _literal(old[1]), _literal(new[1])
    con = connect(config={"temp_directory": ""})
    try:
        removed, added = con.execute(
            f"SELECT (SELECT count(*) FROM (SELECT {cols} FROM read_parquet({a}) "
            f"EXCEPT ALL SELECT {cols} FROM read_parquet({b}))), "
            f"(SELECT count(*) FROM (SELECT {cols} FROM read_parquet({b}) "
            f"EXCEPT ALL SELECT {cols} FROM read_parquet({a})))"
        ).fetchone() or (0, 0)
    finally:
        con.close()
    return VersionDiff(
        dataset=dataset,
        old=old[0],
        new=new[0],
        rows_old=pq.ParquetFile(old[1]).metadata.num_rows,
        rows_new=pq.ParquetFile(new[1]).metadata.num_rows,
        added_columns=tuple(n for n in schema_b.names if n not in types_a),
        removed_columns=tuple(n for n in schema_a.names if n not in types_b),
        changed_types={
            n: (types_a[n], types_b[n]) for n in shared if types_a[n] != types_b[n]
        },
        rows_removed=int(removed),
        rows_added=int(added),
    )


def export_file(source: Path, dest: Path) -> int:
    """Copy a stored version to ``dest`` (``.csv`` or ``.parquet``); return rows.

    Raises
    ------
    DataFormatError
        For an unsupported destination suffix.
    """
    suffix = dest.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise DataFormatError("export to a .csv or .parquet file", source=str(dest))
    handle = pq.ParquetFile(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    writer: Any = None
    try:
        for batch in handle.iter_batches():
            if writer is None:
                writer = (
                    pq.ParquetWriter(tmp, batch.schema)
                    if suffix == ".parquet"
                    else pa_csv.CSVWriter(tmp, batch.schema)
                )
            writer.write_batch(batch)
        if writer is None:  # no rows: still write the header / schema
            empty = handle.schema_arrow.empty_table()
            if suffix == ".parquet":
                pq.write_table(empty, tmp)
            else:
                pa_csv.write_csv(empty, tmp)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(dest)
    return int(handle.metadata.num_rows)


__all__ = ["VersionDiff", "diff_versions", "export_file", "run_sql"]
