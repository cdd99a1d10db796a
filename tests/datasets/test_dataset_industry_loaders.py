"""SKAB and CWRU loaders on tiny hand-made fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from kiwerk.datasets import load_cwru, load_skab, read_skab_csv
from kiwerk.errors import DataFormatError

SKAB_HEADER = (
    "datetime;Accelerometer1RMS;Accelerometer2RMS;Current;Pressure;Temperature;"
    "Thermocouple;Voltage;Volume Flow RateRMS"
)


def _skab_rows(labels: list[tuple[str, str]] | None) -> str:
    header = SKAB_HEADER + (";anomaly;changepoint" if labels is not None else "")
    lines = [header]
    for i in range(3):
        row = f"2020-03-09 10:14:3{i};0.02;0.04;1.3;0.05;79.3;26.0;233.0;32.0"
        if labels is not None:
            row += f";{labels[i][0]};{labels[i][1]}"
        lines.append(row)
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def skab_dir(tmp_path: Path) -> Path:
    """A SKAB-shaped folder: 3 valve1 files (0, 2, 10), one file per other group."""
    labelled = _skab_rows([("0.0", "0.0"), ("1.0", "1.0"), ("1.0", "0.0")])
    for rel in ("valve1/0.csv", "valve1/2.csv", "valve1/10.csv", "valve2/0.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(labelled)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "1.csv").write_text(labelled)
    (tmp_path / "anomaly-free").mkdir()
    (tmp_path / "anomaly-free" / "anomaly-free.csv").write_text(_skab_rows(None))
    return tmp_path


def test_skab_groups_files_in_numeric_order(skab_dir: Path) -> None:
    """Experiments are grouped by folder, files in numeric order (0, 2, 10)."""
    groups = load_skab(directory=skab_dir)
    assert list(groups) == ["anomaly-free", "valve1", "valve2", "other"]
    assert [e.name for e in groups["valve1"]] == ["valve1/0", "valve1/2", "valve1/10"]


def test_skab_experiment_has_datetime_index_and_int_labels(skab_dir: Path) -> None:
    """Signals sit on a DatetimeIndex; labels are int8 0/1 series."""
    exp = load_skab(directory=skab_dir)["valve1"][0]
    assert isinstance(exp.signals.index.dtype, np.dtypes.DateTime64DType)
    assert exp.signals.shape == (3, 8)
    assert exp.anomaly is not None
    assert exp.changepoint is not None
    assert exp.anomaly.tolist() == [0, 1, 1]
    assert exp.changepoint.tolist() == [0, 1, 0]
    assert exp.anomaly.dtype == np.int8


def test_skab_anomaly_free_is_unlabelled(skab_dir: Path) -> None:
    """The anomaly-free file carries no labels and says so."""
    (free,) = load_skab(directory=skab_dir)["anomaly-free"]
    assert not free.labelled
    assert free.anomaly is None


def test_skab_bad_label_names_line_and_field(tmp_path: Path) -> None:
    """A label other than 0/1 names the file, line and column."""
    path = tmp_path / "bad.csv"
    path.write_text(_skab_rows([("0.0", "0.0"), ("2.0", "0.0"), ("0.0", "0.0")]))
    with pytest.raises(DataFormatError, match=r"line 3, field 'anomaly'"):
        read_skab_csv(path, group="valve1")


def test_skab_unordered_timestamps_are_refused(tmp_path: Path) -> None:
    """Timestamps that go backwards are a format error."""
    rows = _skab_rows([("0", "0")] * 3).splitlines()
    rows[1], rows[2] = rows[2], rows[1]
    path = tmp_path / "x.csv"
    path.write_text("\n".join(rows))
    with pytest.raises(DataFormatError, match="strictly increase"):
        read_skab_csv(path, group="other")


INDEX = (
    "file,cwru_file_number,condition,fault_location,fault_diameter_in,motor_load_hp,"
    "nominal_rpm,rpm_recorded_in_file,sampling_rate_hz,n_samples_per_channel,channels\n"
    "97.mat,97,normal,none,0,0,1797,1796,48000 (see SOURCE.md),8,DE;FE\n"
    "105.mat,105,inner_race,drive_end,0.007,0,1797,1797,12000,6,DE;FE;BA\n"
)


@pytest.fixture
def cwru_dir(tmp_path: Path) -> Path:
    """Two MATLAB files in CWRU's layout (column vectors) and an index.csv."""
    rng = np.random.default_rng(0)
    scipy.io.savemat(
        tmp_path / "97.mat",
        {"X097_DE_time": rng.normal(size=(8, 1)), "X097RPM": np.array([[1796]])},
    )
    scipy.io.savemat(
        tmp_path / "105.mat",
        {
            "X105_DE_time": np.arange(6.0).reshape(6, 1),
            "X105_FE_time": np.zeros((6, 1)),
        },
    )
    (tmp_path / "index.csv").write_text(INDEX)
    return tmp_path


def test_cwru_records_carry_signal_and_label(cwru_dir: Path) -> None:
    """Each record has the 1-D drive-end signal, its label and sampling rate."""
    normal, inner = load_cwru(directory=cwru_dir)
    assert normal.label == "normal"
    assert normal.sampling_rate_hz == 48000
    assert normal.drive_end.shape == (8,)
    assert inner.label == "inner_race_0.007"
    assert inner.drive_end.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert (inner.rpm, inner.motor_load_hp) == (1797, 0)


def test_cwru_missing_channel_names_variable(cwru_dir: Path) -> None:
    """A file without ``X<NNN>_DE_time`` names the file and the variable."""
    scipy.io.savemat(cwru_dir / "105.mat", {"X999_DE_time": np.zeros((3, 1))})
    with pytest.raises(DataFormatError, match=r"105\.mat.*X105_DE_time"):
        load_cwru(directory=cwru_dir)


def test_cwru_bad_index_value_names_line(cwru_dir: Path) -> None:
    """A non-numeric rpm in index.csv names the line and column."""
    text = INDEX.replace("1797,1797,12000", "1797,fast,12000")
    (cwru_dir / "index.csv").write_text(text)
    with pytest.raises(DataFormatError, match=r"line 3, field 'rpm_recorded_in_file'"):
        load_cwru(directory=cwru_dir)
