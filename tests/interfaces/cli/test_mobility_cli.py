"""``kiwerk mobility``: the signals command prints the table and writes a plot."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kiwerk.interfaces.cli.app import app


@pytest.mark.usefixtures("cli_env")
def test_signals_run_prints_table_and_plot(tmp_path: Path) -> None:
    """A 2-minute cologne1 run lists all controllers and writes a PNG."""
    result = CliRunner().invoke(
        app,
        [
            "mobility",
            "signals",
            "run",
            "--scenario",
            "cologne1",
            "--controller",
            "adaptive",
            "--duration",
            "120",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "max_pressure" in result.output
    assert (tmp_path / "signals_cologne1_adaptive.png").is_file()


@pytest.mark.usefixtures("cli_env")
def test_signals_unknown_scenario_fails() -> None:
    """An unknown map is a non-zero exit naming the known ones."""
    result = CliRunner().invoke(
        app, ["mobility", "signals", "run", "--scenario", "paris9"]
    )
    assert result.exit_code != 0
