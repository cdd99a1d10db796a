"""The quality report of an ingest: rows, columns, nulls, ranges, violations.

Statistics are gathered batch by batch while the file streams through, so the
report costs no second pass over the input. Values of personal columns never
appear in a report: their ranges and failing values are redacted.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

#: How many individual violations a report lists (all are counted).
MAX_LISTED_VIOLATIONS = 1000
REDACTED = "<personal>"


@dataclass(frozen=True)
class Violation:
    """One value that breaks the contract.

    Parameters
    ----------
    row
        1-based data row in the input file (the header is not a row).
    line
        1-based line in the input file, where the format has lines.
    column
        The column whose check failed.
    check
        The failed check, e.g. ``in_range(0, 10)`` or ``unique``.
    value
        The failing value as text (redacted for personal columns).
    """

    row: int
    line: int | None
    column: str
    check: str
    value: str


@dataclass
class ColumnStats:
    """Statistics of one column over the whole input."""

    name: str
    dtype: str
    nulls: int = 0
    min: float | str | None = None
    max: float | str | None = None
    treatment: str = "kept"

    def null_share(self, rows: int) -> float:
        """Share of missing values (0 for an empty file)."""
        return self.nulls / rows if rows else 0.0


@dataclass
class QualityReport:
    """What an ingest found; :meth:`to_dict` gives its JSON form.

    Examples
    --------
    >>> report = QualityReport(source="x.csv", rows=0)
    >>> report.to_dict()["passed"]
    True
    """

    source: str
    rows: int = 0
    rows_kept: int = 0
    rows_quarantined: int = 0
    policy: str = "reject"
    dataset: str | None = None
    version: int | None = None
    columns: list[ColumnStats] = field(default_factory=list)
    duplicate_rows: int = 0
    violations: list[Violation] = field(default_factory=list)
    violation_counts: dict[str, int] = field(default_factory=dict)
    dataset_violations: list[str] = field(default_factory=list)
    k_min: int | None = None

    @property
    def violation_total(self) -> int:
        """Number of failing values over all columns."""
        return sum(self.violation_counts.values())

    @property
    def passed(self) -> bool:
        """Whether the input met its contract without a single violation."""
        return self.violation_total == 0 and not self.dataset_violations

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-able data."""
        return {
            "dataset": self.dataset,
            "version": self.version,
            "source": self.source,
            "policy": self.policy,
            "passed": self.passed,
            "rows": self.rows,
            "rows_kept": self.rows_kept,
            "rows_quarantined": self.rows_quarantined,
            "duplicate_rows": self.duplicate_rows,
            "k_min": self.k_min,
            "columns": [
                {**asdict(c), "null_share": c.null_share(self.rows)}
                for c in self.columns
            ],
            "violation_total": self.violation_total,
            "violation_counts": dict(self.violation_counts),
            "dataset_violations": list(self.dataset_violations),
            "violations": [asdict(v) for v in self.violations],
        }

    def to_json(self) -> str:
        """The report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QualityReport:
        """Inverse of :meth:`to_dict`."""
        columns = [
            ColumnStats(**{k: v for k, v in c.items() if k != "null_share"})
            for c in data["columns"]
        ]
        return cls(
            source=data["source"],
            rows=data["rows"],
            rows_kept=data["rows_kept"],
            rows_quarantined=data["rows_quarantined"],
            policy=data["policy"],
            dataset=data["dataset"],
            version=data["version"],
            columns=columns,
            duplicate_rows=data["duplicate_rows"],
            violations=[Violation(**v) for v in data["violations"]],
            violation_counts=dict(data["violation_counts"]),
            dataset_violations=list(data["dataset_violations"]),
            k_min=data["k_min"],
        )

    def to_html(self) -> str:
        """A self-contained HTML page of the report."""
        esc = html.escape
        rows = "".join(
            f"<tr><td>{esc(c.name)}</td><td>{esc(c.dtype)}</td>"
            f"<td>{esc(c.treatment)}</td><td>{c.nulls}</td>"
            f"<td>{c.null_share(self.rows):.2%}</td>"
            f"<td>{esc(str(c.min))}</td><td>{esc(str(c.max))}</td></tr>"
            for c in self.columns
        )
        bad = "".join(
            f"<tr><td>{v.row}</td><td>{v.line or ''}</td><td>{esc(v.column)}</td>"
            f"<td>{esc(v.check)}</td><td>{esc(v.value)}</td></tr>"
            for v in self.violations
        )
        status = "passed" if self.passed else "failed"
        title = esc(f"Quality report: {self.dataset or self.source}")
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
            "<style>body{font-family:sans-serif}td,th{padding:2px 8px}"
            "table{border-collapse:collapse}tr:nth-child(even){background:#eee}"
            "</style></head><body>"
            f"<h1>{title}</h1><p>Source {esc(self.source)}, version "
            f"{self.version}, policy {esc(self.policy)}: <b>{status}</b>.</p>"
            f"<p>{self.rows} rows read, {self.rows_kept} kept, "
            f"{self.rows_quarantined} quarantined, {self.duplicate_rows} duplicate "
            f"rows, smallest quasi-identifier group {self.k_min}.</p>"
            + "".join(f"<p>{esc(d)}</p>" for d in self.dataset_violations)
            + "<h2>Columns</h2><table><tr><th>column</th><th>type</th>"
            "<th>treatment</th><th>nulls</th><th>null share</th><th>min</th>"
            f"<th>max</th></tr>{rows}</table>"
            f"<h2>Violations ({self.violation_total})</h2><table><tr><th>row</th>"
            "<th>line</th><th>column</th><th>check</th><th>value</th></tr>"
            f"{bad}</table></body></html>"
        )


class QualityAccumulator:
    """Gathers a :class:`QualityReport` batch by batch.

    Parameters
    ----------
    report
        The report to fill in.
    treatments
        Column name → ``personal``, ``dropped`` or ``masked`` for special columns.
    """

    def __init__(self, report: QualityReport, treatments: dict[str, str]) -> None:
        self.report = report
        self.treatments = treatments
        self._stats: dict[str, ColumnStats] = {}

    def update(self, batch: pa.RecordBatch) -> None:
        """Add one batch of (typed, not yet transformed) input rows."""
        self.report.rows += batch.num_rows
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            stats = self._stats.get(name)
            if stats is None:
                treatment = self.treatments.get(name, "kept")
                stats = ColumnStats(name, str(column.type), treatment=treatment)
                self._stats[name] = stats
            stats.nulls += column.null_count
            if stats.treatment != "kept" or not _ordered(column.type):
                continue
            lo, hi = pc.min_max(column).values()
            stats.min = _smaller(stats.min, lo.as_py())
            stats.max = _larger(stats.max, hi.as_py())

    def add(self, violation: Violation) -> None:
        """Record one violation (listed up to :data:`MAX_LISTED_VIOLATIONS`)."""
        counts = self.report.violation_counts
        counts[violation.column] = counts.get(violation.column, 0) + 1
        if len(self.report.violations) < MAX_LISTED_VIOLATIONS:
            if self.treatments.get(violation.column) == "personal":
                violation = Violation(
                    violation.row,
                    violation.line,
                    violation.column,
                    violation.check,
                    REDACTED,
                )
            self.report.violations.append(violation)

    def finish(self) -> QualityReport:
        """The report, columns in input order."""
        self.report.columns = list(self._stats.values())
        for stats in self.report.columns:
            if stats.treatment == "personal":
                stats.min = stats.max = None
        return self.report


def _ordered(dtype: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(dtype)
        or pa.types.is_floating(dtype)
        or pa.types.is_timestamp(dtype)
        or pa.types.is_date(dtype)
    )


def _plain(value: Any) -> float | str | None:
    if value is None or isinstance(value, float | int | str):
        return value
    return str(value)


def _smaller(a: float | str | None, b: Any) -> float | str | None:
    b = _plain(b)
    if a is None or b is None:
        return b if a is None else a
    return b if b < a else a


def _larger(a: float | str | None, b: Any) -> float | str | None:
    b = _plain(b)
    if a is None or b is None:
        return b if a is None else a
    return b if b > a else a


__all__ = [
    "MAX_LISTED_VIOLATIONS",
    "ColumnStats",
    "QualityAccumulator",
    "QualityReport",
    "Violation",
]
