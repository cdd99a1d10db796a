"""The quality report: statistics, JSON round trip, HTML view."""

from __future__ import annotations

from pathlib import Path

from kiwerk.core.data import DatasetSpec, Pool, QualityReport


def test_report_statistics(pool: Pool, pumps_csv: Path) -> None:
    """Rows, nulls, ranges and duplicates are counted over the whole file."""
    text = pumps_csv.read_text()
    lines = text.splitlines()
    pumps_csv.write_text(text + lines[1] + "\n" + "2024-01-02 00:00:00,M1,x,,1\n")
    pool.create_dataset("pumps", org="acme", actor="ana")
    report = pool.ingest(pumps_csv, "pumps", actor="ana").quality
    temp = next(c for c in report.columns if c.name == "temp")
    assert report.rows == 8
    assert (temp.nulls, temp.min, temp.max) == (1, 18.0, 23.0)
    assert temp.null_share(report.rows) == 1 / 8
    assert report.duplicate_rows == 1
    assert report.passed


def test_report_json_and_html(pool: Pool, pumps_csv: Path) -> None:
    """The stored JSON report reads back equal; the HTML names each column."""
    spec = DatasetSpec(personal=("operator",))
    pool.create_dataset("pumps", org="acme", actor="ana", spec=spec)
    report = pool.ingest(pumps_csv, "pumps", actor="ana").quality
    stored = pool.quality("pumps", actor="vic")
    assert stored.to_dict() == report.to_dict()
    assert QualityReport.from_dict(report.to_dict()).to_dict() == report.to_dict()
    page = pool.quality_html("pumps", actor="vic").read_text()
    assert all(name in page for name in ("ts", "machine", "operator", "temp"))
    operator = next(c for c in stored.columns if c.name == "operator")
    assert operator.treatment == "personal"
