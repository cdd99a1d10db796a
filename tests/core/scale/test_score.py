"""Batch scoring in-process: bounded batches, same rows as one big predict."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kiwerk.core.scale import ScoreParams, score_files
from kiwerk.core.serving import ServedModel
from kiwerk.errors import ConfigError, ContractViolation


def _read(files: list[Path]) -> pa.Table:
    return pa.concat_tables([pq.read_table(f) for f in files])


@pytest.mark.parametrize("batch_rows", [7, 100, 10_000])  # ragged, groups, one
def test_batches_give_the_rows_of_one_predict(
    served_toy: ServedModel, toy_parquet: Path, tmp_path: Path, batch_rows: int
) -> None:
    """Whatever the batch size, the output is the served model's predictions."""
    params = ScoreParams(batch_rows=batch_rows, keep=("id",))
    report = score_files(served_toy, [toy_parquet], tmp_path / "out", params)
    rows = pd.read_parquet(toy_parquet)
    expected = pd.concat(
        [rows[["id"]], served_toy.predict(rows).reset_index(drop=True)], axis=1
    )
    got = _read(report.files).to_pandas()
    assert report.rows == len(rows) == 600
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_progress_counts_rows(
    served_toy: ServedModel, toy_parquet: Path, tmp_path: Path
) -> None:
    """Progress is reported after every batch, ending at the row count."""
    seen: list[int] = []
    score_files(
        served_toy,
        [toy_parquet],
        tmp_path / "out",
        ScoreParams(batch_rows=250),
        progress=seen.append,
    )
    assert seen == [250, 500, 600]


def test_bad_row_is_named_by_line(
    served_toy: ServedModel, toy_rows: pd.DataFrame, tmp_path: Path
) -> None:
    """A bad category in a later batch names the file and its line."""
    rows = toy_rows.copy()
    rows.loc[450, "kind"] = "z"
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), path)
    with pytest.raises(ContractViolation, match=r"bad\.parquet.*452|452.*bad\.parquet"):
        score_files(served_toy, [path], tmp_path / "out", ScoreParams(batch_rows=100))


def test_history_models_and_used_folders_are_refused(
    served_toy: ServedModel, toy_parquet: Path, tmp_path: Path
) -> None:
    """A pilot over histories, or an output folder holding files, is refused."""
    pilot = dataclasses.replace(served_toy.pilot, row_wise=False)
    with pytest.raises(ConfigError, match="history"):
        score_files(
            dataclasses.replace(served_toy, pilot=pilot), [toy_parquet], tmp_path / "a"
        )
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "old.parquet").write_bytes(b"")
    with pytest.raises(ConfigError, match="not empty"):
        score_files(served_toy, [toy_parquet], tmp_path / "b")
