"""SKAB reader and the online detector on the real benchmark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiwerk.domains.industry.stream import (
    SkabParams,
    evaluate_skab,
    read_skab,
    read_skab_file,
)
from kiwerk.domains.industry.stream._skab import SKAB_SENSORS
from kiwerk.errors import DataFormatError

HEADER = "datetime;" + ";".join(SKAB_SENSORS) + ";anomaly;changepoint\r\n"


def _write(path: Path, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(r + "\r\n" for r in rows), encoding="utf-8")
    return path


def test_read_skab_file_parses_times_values_and_labels(tmp_path: Path) -> None:
    """Times become epoch seconds, labels 0/1, values in sensor order."""
    path = _write(
        tmp_path / "valve1" / "0.csv",
        [
            "2020-03-09 10:14:33;1;2;3;4;5;6;7;8;0.0;0.0",
            "2020-03-09 10:14:34;1;2;3;4;5;6;7;9;1.0;1.0",
        ],
    )
    f = read_skab_file(path)
    assert f.name == "valve1/0.csv"
    assert f.time[1] - f.time[0] == 1.0
    assert f.values[1, -1] == 9.0
    assert f.anomaly.tolist() == [0, 1]
    assert f.changepoint.tolist() == [0, 1]


def test_read_skab_file_names_line_and_field_of_bad_value(tmp_path: Path) -> None:
    """A non-numeric cell is reported with its file, line and column."""
    path = _write(
        tmp_path / "other" / "1.csv",
        [
            "2020-03-09 10:14:33;1;2;3;4;5;6;7;8;0.0;0.0",
            "2020-03-09 10:14:34;1;2;3;nan;5;6;7;8;0.0;0.0",
        ],
    )
    with pytest.raises(DataFormatError, match="line 3") as info:
        read_skab_file(path)
    assert info.value.field == "Pressure"


@pytest.mark.slow
def test_skab_online_detector_meets_the_targets(data_dir: Path) -> None:
    """On all 34 files: F1 >= 0.80, FAR <= 13 %, MAR <= 28 %, NAB standard >= 33."""
    files = read_skab(data_dir / "skab")
    assert len(files) == 34
    report = evaluate_skab(files, SkabParams())
    assert report.outlier.f1 >= 0.80
    assert report.outlier.far <= 13.0
    assert report.outlier.mar <= 28.0
    assert report.nab_standard >= 33.0
    # each point is labelled exactly once
    assert sum(len(p) for p in report.predictions) == sum(len(f.time) for f in files)
    assert all(np.isin(p, (0, 1)).all() for p in report.predictions)
