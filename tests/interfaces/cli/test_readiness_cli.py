"""``kiwerk readiness`` from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from kiwerk.interfaces.cli.app import app


def test_check_from_answers_file_writes_reports(tmp_path: Path) -> None:
    """An answers file yields the profile on screen and HTML/PDF reports."""
    answers = tmp_path / "answers.toml"
    answers.write_text(
        '"data.recorded" = 3\n"privacy.personal" = "No"\n', encoding="utf-8"
    )
    html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    result = CliRunner().invoke(
        app,
        [
            "readiness",
            "check",
            "--answers",
            str(answers),
            "--html",
            str(html),
            "--pdf",
            str(pdf),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Maturity profile" in result.output
    assert "Blocks a pilot" in result.output
    assert html.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert pdf.stat().st_size > 1000


def test_interactive_check() -> None:
    """Answering every prompt interactively scores the profile."""
    from kiwerk.core.pilots import load_rules

    n = len(load_rules().questions)
    result = CliRunner().invoke(app, ["readiness", "check"], input="2\n" * n)
    assert result.exit_code == 0, result.output
    assert "Nothing blocks a pilot" in result.output


def test_bad_answers_file_fails_cleanly(tmp_path: Path) -> None:
    """A malformed answers file names the file and exits non-zero."""
    answers = tmp_path / "answers.toml"
    answers.write_text("data.recorded = = 3\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiwerk",
            "readiness",
            "check",
            "--answers",
            str(answers),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3
    assert "answers.toml" in result.stderr
    assert "Traceback" not in result.stderr
