"""``kiwerk tune`` and ``kiwerk score`` on a fresh home, in-process (slow)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from kiwerk.interfaces.cli.app import main
from kiwerk.settings import get_settings

pytestmark = pytest.mark.slow


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["kiwerk", *args])
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as info:
        main()
    get_settings.cache_clear()
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out + out.err


def test_tune_register_then_score_the_pool_dataset(
    cli_env: Path,
    mlflow_db_template: Path,
    ai4i: pd.DataFrame,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Tune AI4I, register the best trial, then score its pool version to Parquet."""
    cli_env.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mlflow_db_template, cli_env / "mlflow.db")
    monkeypatch.setenv("COLUMNS", "200")
    code, out = _run(
        monkeypatch, capsys,
        "tune", "industry-failure", "--trials", "3", "--quick", "--register",
    )  # fmt: skip
    assert code == 0, out
    assert "validation f1 per trial" in out
    assert "best: trial" in out
    assert "registered industry-failure version 1" in out

    target = tmp_path / "scores"
    code, out = _run(
        monkeypatch, capsys,
        "score", "industry-failure", "--dataset", "ai4i2020@1", "--out", str(target),
        "--keep", "UDI", "--batch-rows", "3000",
    )  # fmt: skip
    assert code == 0, out
    assert "scored 10,000 rows of ai4i2020 v1" in out
    table = pq.read_table(sorted(target.glob("*.parquet")))
    assert table.num_rows == len(ai4i)
    assert table.column("UDI").to_pylist() == ai4i["UDI"].tolist()

    code, out = _run(
        monkeypatch, capsys,
        "score", "industry-failure", "--dataset", "ai4i2020@x", "--out", str(target),
    )  # fmt: skip
    assert code == 2
    assert "NAME@VERSION" in out
    code, out = _run(monkeypatch, capsys, "tune", "toy", "--trials", "1")
    assert code != 0
