"""Stream CSV, Parquet and JSON-lines files as Arrow batches of bounded size.

CSV and JSON lines are parsed by DuckDB (in parallel, in bounded memory),
Parquet by pyarrow row group by row group. Every problem becomes a
:class:`~kiwerk.errors.DataFormatError` that names the file and, where it can
be found, the line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from kiwerk.core.data._catalog import connect
from kiwerk.core.data._spec import DatasetSpec
from kiwerk.errors import ContractViolation, DataError, DataFormatError

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
DUCK_TYPES = {
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "string": "VARCHAR",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
}
_MAGIC = {
    b"PAR1": "a Parquet file",
    b"\x1f\x8b": "a gzip archive",
    b"PK\x03\x04": "a zip archive",
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"SQLite format 3": "an SQLite database",
}
_SNIFF_BYTES = 1 << 16
#: Prefix of the helper columns holding values that did not parse (quarantine).
UNPARSED = "__kiwerk_unparsed__"
_LINE = re.compile(r"Line: (\d+)")
_JSON_LINE = re.compile(r"in line (\d+)")
_KEY_PHRASES = (
    "Could not convert",
    "Expected Number of Columns",
    "Invalid unicode",
    "Malformed JSON",
    "unterminated quote",
    "Value with unterminated quote",
)


@dataclass(frozen=True)
class Source:
    """An input file: its path, format and how its rows map to lines."""

    path: Path
    kind: str

    @property
    def header_lines(self) -> int | None:
        """Lines before the first row, or ``None`` when rows have no line."""
        return {"csv": 1, "jsonl": 0}.get(self.kind)

    def line_of(self, row: int) -> int | None:
        """The file line of 1-based data row ``row`` (no multi-line fields)."""
        offset = self.header_lines
        return None if offset is None else row + offset


def detect(path: Path) -> Source:
    """Check that ``path`` exists, is not empty, and is what its name says.

    Raises
    ------
    DataFormatError
        For a missing, empty, unknown-format or mislabelled file.
    """
    name = str(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataFormatError(
            f"unknown file type {path.suffix!r}; expected one of {sorted(FORMATS)}",
            source=name,
        )
    if not path.is_file():
        raise DataFormatError("no such file", source=name)
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head.strip():
        raise DataFormatError("the file is empty", source=name)
    found = next(
        (what for magic, what in _MAGIC.items() if head.startswith(magic)), None
    )
    if kind == "parquet":
        if found != "a Parquet file":
            what = found or "not a Parquet file (no PAR1 magic bytes)"
            raise DataFormatError(f"named .parquet but is {what}", source=name)
        return Source(path, kind)
    if found is not None or b"\x00" in head:
        what = found or "a binary file"
        raise DataFormatError(
            f"named {path.suffix} but is {what}; give the file its real extension",
            source=name,
        )
    _check_utf8(head, name, complete=len(head) < _SNIFF_BYTES)
    if kind == "jsonl" and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        raise DataFormatError(
            "named JSON lines but the first line is not a JSON object", source=name
        )
    return Source(path, kind)


def _check_utf8(head: bytes, name: str, *, complete: bool) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)
    except UnicodeDecodeError as exc:
        line = head.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(
            f"not UTF-8 (byte {head[exc.start]:#04x}); re-save the file as UTF-8",
            source=name,
            line=line,
        ) from exc


def header(source: Source) -> list[str]:
    """The column names of a file, read without parsing its rows."""
    if source.kind == "parquet":
        try:
            return list(pq.ParquetFile(source.path).schema_arrow.names)
        except (pa.ArrowException, OSError) as exc:
            raise DataFormatError(
                f"unreadable Parquet: {exc}", source=str(source.path)
            ) from exc
    if source.kind == "jsonl":
        return []  # JSON objects carry their own keys
    with source.path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(_SNIFF_BYTES)
    delimiter = _delimiter(sample)
    first = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    return [c.strip() for c in first]


def _delimiter(sample: str) -> str:
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def batches(
    source: Source, spec: DatasetSpec, *, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """Yield the rows of ``source`` as record batches of at most ``batch_rows``."""
    if source.kind == "parquet":
        yield from _parquet_batches(source, batch_rows)
        return
    con = connect(config={"memory_limit": "512MB", "temp_directory": ""})
    try:
        reader = _relation(con, source, spec).to_arrow_reader(batch_rows)
        while True:
            try:
                yield reader.read_next_batch()
            except StopIteration:
                return
            except (duckdb.Error, pa.ArrowException, OSError) as exc:
                raise _translate(exc, source, spec) from exc
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        raise _translate(exc, source, spec) from exc
    finally:
        con.close()


def _relation(
    con: duckdb.DuckDBPyConnection, source: Source, spec: DatasetSpec
) -> duckdb.DuckDBPyRelation:
    path = str(source.path).replace("'", "''")
    lenient = spec.policy == "quarantine"
    if source.kind == "jsonl":
        inner = f"SELECT * FROM read_json('{path}', format='newline_delimited')"
    else:
        with source.path.open(encoding="utf-8-sig", newline="") as handle:
            delimiter = _delimiter(handle.read(_SNIFF_BYTES))
        present = set(header(source))
        # Under quarantine, declared columns are read as text and cast below,
        # so that one unparsable value sends its row to quarantine.
        types = ", ".join(
            f"{_literal(c.name)}: '{'VARCHAR' if lenient else DUCK_TYPES[c.dtype]}'"
            for c in spec.columns
            if c.name in present
        )
        typed = f", types={{{types}}}" if types else ""
        inner = (
            f"SELECT * FROM read_csv('{path}', header=true, delim='{delimiter}', "
            f"quote='\"', escape='\"', encoding='utf-8', strict_mode=true{typed})"
        )
    if not lenient:
        return con.sql(inner)
    names = set(con.sql(inner).columns)
    declared = [c for c in spec.columns if c.name in names]
    if not declared:
        return con.sql(inner)
    casts = ", ".join(
        f"TRY_CAST({_ident(c.name)} AS {DUCK_TYPES[c.dtype]}) AS {_ident(c.name)}"
        for c in declared
    )
    flags = ", ".join(
        f"CASE WHEN {_ident(c.name)} IS NOT NULL AND TRY_CAST({_ident(c.name)} AS "
        f"{DUCK_TYPES[c.dtype]}) IS NULL THEN {_ident(c.name)}::VARCHAR END "
        f"AS {_ident(UNPARSED + c.name)}"
        for c in declared
    )
    return con.sql(f"SELECT * REPLACE ({casts}), {flags} FROM ({inner})")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parquet_batches(source: Source, batch_rows: int) -> Iterator[pa.RecordBatch]:
    try:
        handle = pq.ParquetFile(source.path)
        yield from handle.iter_batches(batch_size=batch_rows)
    except (pa.ArrowException, OSError) as exc:
        raise DataFormatError(
            f"unreadable Parquet: {exc}", source=str(source.path)
        ) from exc


def _translate(exc: Exception, source: Source, spec: DatasetSpec) -> DataError:
    text = str(exc)
    name = str(source.path)
    match = _LINE.search(text) or _JSON_LINE.search(text)
    if match is None and source.kind == "csv":
        found = diagnose_csv(source.path)
        if found is not None:
            return found
    detail = _detail(text)
    line = int(match.group(1)) if match else None
    column = re.search(r'converting column "(.+?)"', text)
    field = column.group(1) if column else None
    if field is not None and spec.column(field) is not None:
        # A declared column whose value is not of its declared type.
        return ContractViolation(detail, source=name, line=line, field=field)
    return DataFormatError(detail, source=name, line=line, field=field)


def _detail(text: str) -> str:
    lines = [re.sub(r"^[A-Za-z ]*Error: ", "", s.strip()) for s in text.splitlines()]
    lines = [s for s in lines if s]
    for key in _KEY_PHRASES:
        found = next((s for s in lines if key in s), None)
        if found is not None:
            return found
    useful = [s for s in lines if not s.startswith(("CSV Error on Line", "Original"))]
    return (useful or lines or ["unreadable file"])[0]


def diagnose_csv(path: Path) -> DataFormatError | None:
    """Find the first malformed line of a CSV file with Python's csv module.

    Used when DuckDB's error names no line (its sniffer gives up on a file
    whose first rows are already broken).
    """
    name = str(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            delimiter = _delimiter(handle.read(_SNIFF_BYTES))
            handle.seek(0)
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            width = len(next(reader, []))
            start = reader.line_num + 1
            for fields in reader:
                if fields and len(fields) != width:
                    return DataFormatError(
                        f"expected {width} fields, found {len(fields)}",
                        source=name,
                        line=start,
                    )
                start = reader.line_num + 1
    except csv.Error as exc:
        return DataFormatError(
            f"malformed CSV ({exc}): a quote opened here is never closed",
            source=name,
            line=start,
        )
    except UnicodeDecodeError:
        return DataFormatError("not UTF-8; re-save the file as UTF-8", source=name)
    return None


__all__ = [
    "DUCK_TYPES",
    "FORMATS",
    "UNPARSED",
    "Source",
    "batches",
    "detect",
    "diagnose_csv",
    "header",
]
