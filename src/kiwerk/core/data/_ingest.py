"""The streaming ingest: read, check, pseudonymise and write a file in one pass.

Batches flow from the reader through the contract checks into a Parquet
writer inside a private staging folder; memory stays bounded by the batch
size whatever the file size. Raw values of personal columns exist only in
memory: they are replaced before a batch is written, to the data table and
to the quarantine table alike.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kiwerk.core.data._catalog import connect
from kiwerk.core.data._contract import ContractChecker, check_columns, conform, row_mask
from kiwerk.core.data._privacy import Pseudonymiser, k_anonymity, mask_text
from kiwerk.core.data._quality import QualityAccumulator, QualityReport, Violation
from kiwerk.core.data._reader import UNPARSED, Source, batches, detect, header
from kiwerk.core.data._spec import DatasetSpec
from kiwerk.errors import ContractViolation, DataFormatError

DATA_FILE = "data.parquet"
QUARANTINE_FILE = "quarantine.parquet"
BATCH_ROWS = 131_072


@dataclass(frozen=True)
class StagedVersion:
    """A version written to its staging folder, not yet published."""

    directory: Path
    rows: int
    quarantined: int
    content_hash: str
    columns: tuple[str, ...]
    quality: QualityReport


class _Writers:
    """Opens the data and quarantine Parquet files lazily, on their first batch."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._open: dict[str, pq.ParquetWriter] = {}
        self.schema: pa.Schema | None = None

    def write(self, name: str, batch: pa.RecordBatch) -> None:
        if self.schema is None:
            self.schema = batch.schema
        batch = batch.cast(self.schema)
        writer = self._open.get(name)
        if writer is None:
            writer = pq.ParquetWriter(
                self.directory / name, self.schema, compression="zstd"
            )
            self._open[name] = writer
        writer.write_batch(batch)

    def close(self) -> None:
        for writer in self._open.values():
            writer.close()


def transform(
    batch: pa.RecordBatch, spec: DatasetSpec, pseudonymiser: Pseudonymiser
) -> pa.RecordBatch:
    """Drop, pseudonymise and mask the columns the spec names."""
    names, arrays = [], []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if name in spec.drop:
            continue
        if name in spec.personal:
            column = pseudonymiser.apply(column)
        elif name in spec.mask:
            column = mask_text(column)
        names.append(name)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, names=names)


def stage(
    path: Path,
    spec: DatasetSpec,
    directory: Path,
    pseudonymiser: Pseudonymiser,
    *,
    batch_rows: int = BATCH_ROWS,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> StagedVersion:
    """Stream ``path`` into ``directory`` as data (and quarantine) Parquet.

    With ``dry_run`` the file is checked and its report built, nothing kept.
    ``progress`` is called with the number of rows read after each batch.

    Raises
    ------
    DataFormatError
        For an unreadable, empty or mislabelled file (naming the line).
    ContractViolation
        For a missing column, a value of the wrong type, or any violation
        under the ``reject`` policy (naming the column and row).
    """
    source = detect(path)
    name = str(path)
    _check_header(source, spec)
    treatments = dict.fromkeys(spec.personal, "personal")
    treatments.update(dict.fromkeys(spec.drop, "dropped"))
    treatments.update(dict.fromkeys(spec.mask, "masked"))
    quality = QualityAccumulator(
        QualityReport(source=path.name, policy=spec.policy), treatments
    )
    writers = _Writers(directory)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        quarantined = _stream(
            source, spec, pseudonymiser, quality, writers, batch_rows, dry_run, progress
        )
    finally:
        writers.close()
    report = quality.finish()
    if report.rows == 0:
        raise DataFormatError("the file has a header but no data rows", source=name)
    report.rows_quarantined = quarantined
    report.rows_kept = report.rows - quarantined
    _dataset_checks(report, spec)
    if report.dataset_violations and not dry_run:
        raise ContractViolation(report.dataset_violations[0], source=name)
    data = directory / DATA_FILE
    _post_stats(report, data, spec)
    (directory / "quality.json").write_text(report.to_json(), encoding="utf-8")
    (directory / "quality.html").write_text(report.to_html(), encoding="utf-8")
    (directory / "spec.json").write_text(spec.to_json(), encoding="utf-8")
    return StagedVersion(
        directory=directory,
        rows=report.rows_kept,
        quarantined=quarantined,
        content_hash=file_sha256(data),
        columns=tuple(writers.schema.names) if writers.schema is not None else (),
        quality=report,
    )


def _check_header(source: Source, spec: DatasetSpec) -> None:
    if source.kind == "jsonl":
        return  # JSON objects carry their keys: checked on the first batch
    names = header(source)
    check_columns(names, spec, str(source.path))
    missing = [c for c in (*spec.personal, *spec.drop, *spec.mask) if c not in names]
    if missing:
        raise ContractViolation(
            "column named personal, dropped or masked is not in the file",
            source=str(source.path),
            field=missing[0],
        )


def _stream(
    source: Source,
    spec: DatasetSpec,
    pseudonymiser: Pseudonymiser,
    quality: QualityAccumulator,
    writers: _Writers,
    batch_rows: int,
    dry_run: bool,
    progress: Callable[[int], None] | None,
) -> int:
    """Check, transform and write every batch; return the quarantined rows."""
    name = str(source.path)
    checker = ContractChecker(spec)
    first_row, quarantined = 1, 0
    for raw in batches(source, spec, batch_rows=batch_rows):
        if first_row == 1 and source.kind == "jsonl":
            check_columns(raw.schema.names, spec, name)
        raw, unparsed = _split_unparsed(raw, first_row, source.line_of, spec)
        batch = conform(raw, spec, first_row=first_row, source=name)
        quality.update(batch)
        for violation in unparsed:
            quality.add(violation)
        found = _record(checker, batch, first_row, quality, source.line_of)
        bad = sorted({v.row for v in [*unparsed, *found]})
        if bad and spec.policy == "reject" and not dry_run:
            _reject(quality.finish(), name)
        good = batch
        if bad:
            mask = row_mask(bad, first_row, batch.num_rows)
            good = batch.filter(pc.invert(mask))
            quarantined += len(bad)
            rejected = transform(batch.filter(mask), spec, pseudonymiser)
            writers.write(QUARANTINE_FILE, rejected)
        writers.write(DATA_FILE, transform(good, spec, pseudonymiser))
        first_row += batch.num_rows
        if progress is not None:
            progress(first_row - 1)
    return quarantined


def _split_unparsed(
    batch: pa.RecordBatch,
    first_row: int,
    line_of: Callable[[int], int | None],
    spec: DatasetSpec,
) -> tuple[pa.RecordBatch, list[Violation]]:
    """Remove the reader's unparsed-value columns; turn their values into violations."""
    keep = [n for n in batch.schema.names if not n.startswith(UNPARSED)]
    if len(keep) == batch.num_columns:
        return batch, []
    found = []
    for name in batch.schema.names:
        if not name.startswith(UNPARSED):
            continue
        column = name.removeprefix(UNPARSED)
        declared = spec.column(column)
        check = f"dtype({declared.dtype if declared else '?'})"
        values = batch.column(name)
        for i in np.flatnonzero(pc.is_valid(values).to_numpy(zero_copy_only=False)):
            row = first_row + int(i)
            found.append(Violation(row, line_of(row), column, check, str(values[i])))
    return batch.select(keep), found


def _record(
    checker: ContractChecker,
    batch: pa.RecordBatch,
    first_row: int,
    quality: QualityAccumulator,
    line_of: Callable[[int], int | None],
) -> Iterator[Violation]:
    for found in checker.violations(batch, first_row=first_row):
        located = Violation(
            found.row, line_of(found.row), found.column, found.check, found.value
        )
        quality.add(located)
        yield located


def _reject(report: QualityReport, source: str) -> None:
    first = report.violations[0]
    raise ContractViolation(
        f"row {first.row}: value {first.value} fails {first.check}; "
        f"{report.violation_total} violations in this batch under policy 'reject', "
        "nothing was stored (use policy 'quarantine' to keep the good rows)",
        source=source,
        line=first.line,
        field=first.column,
    )


def _dataset_checks(report: QualityReport, spec: DatasetSpec) -> None:
    for stats in report.columns:
        column = spec.column(stats.name)
        if column is None or column.max_null_share is None:
            continue
        share = stats.null_share(report.rows)
        if share > column.max_null_share:
            report.dataset_violations.append(
                f"column {stats.name!r}: {share:.1%} missing values, "
                f"more than the allowed {column.max_null_share:.1%}"
            )


def _post_stats(report: QualityReport, data: Path, spec: DatasetSpec) -> None:
    if not data.exists():
        return
    names = pq.read_schema(data).names
    row_hash = "hash(" + ", ".join(_quote(n) for n in names) + ")"
    # Spilling is allowed (into the staging folder): the data is pseudonymised.
    spill = str(data.parent / ".spill")
    con = connect(config={"memory_limit": "512MB", "temp_directory": spill})
    try:
        total, distinct = con.execute(
            f"SELECT count(*), count(DISTINCT {row_hash}) FROM read_parquet(?)",
            [str(data)],
        ).fetchone() or (0, 0)
    finally:
        con.close()
        shutil.rmtree(data.parent / ".spill", ignore_errors=True)
    report.duplicate_rows = int(total) - int(distinct)
    if spec.quasi_identifiers:
        report.k_min = k_anonymity(data, spec.quasi_identifiers, spec.k).k_min


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes (empty string when absent)."""
    if not path.exists():
        return ""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = [
    "BATCH_ROWS",
    "DATA_FILE",
    "QUARANTINE_FILE",
    "StagedVersion",
    "file_sha256",
    "stage",
    "transform",
]
