"""``kiwerk tracker`` from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from kiwerk.interfaces.cli.app import app


def test_create_record_show_with_pdf(cli_env: Path, tmp_path: Path) -> None:
    """A pilot is created, two iterations recorded, and the report written."""
    runner = CliRunner()
    create = [
        "tracker", "create", "line-3", "--use-case", "failure-prediction",
        "--kpi", "unplanned downtime", "--unit", "h/month",
        "--baseline", "40", "--goal", "30",
    ]  # fmt: skip
    assert runner.invoke(app, create).exit_code == 0
    for value, model in (("36", "industry-failure:1"), ("29", "industry-failure:2")):
        result = runner.invoke(
            app, ["tracker", "record", "line-3", "--kpi", value, "--model", model]
        )
        assert result.exit_code == 0, result.output
    pdf = tmp_path / "r.pdf"
    result = runner.invoke(app, ["tracker", "show", "line-3", "--pdf", str(pdf)])
    assert result.exit_code == 0, result.output
    assert "goal reached" in result.output
    assert "industry-failure:2" in result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    assert (cli_env / "kiwerk.db").exists()
