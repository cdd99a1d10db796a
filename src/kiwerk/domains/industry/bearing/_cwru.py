"""CWRU bearing recordings: a small private reader of the ``.mat`` files.

Reads the drive-end (DE) and fan-end (FE) accelerometer channels of every file
listed in ``index.csv``, labels each by condition and fault diameter
(``normal``, ``inner_race_007``, ``ball_014``, ...), and brings every recording
to 12 kHz: the normal baseline ``97.mat`` is sampled at 48 kHz and is
decimated by 4 (an anti-aliasing filter, then every fourth sample), so that
normal and fault spectra share one frequency axis.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import io, signal

from kiwerk.errors import DataFormatError, DatasetUnavailable

RATE_HZ = 12_000


@dataclass(frozen=True)
class BearingRecording:
    """One CWRU recording at 12 kHz.

    Attributes
    ----------
    file
        The ``.mat`` file name.
    label
        ``normal`` or ``<location>_<diameter in mils>``.
    signals
        Shape ``(n, 2)``: DE and FE acceleration in g.
    load_hp
        Motor load.
    """

    file: str
    label: str
    signals: NDArray[np.float64]
    load_hp: int


def _label(row: dict[str, str]) -> str:
    if row["condition"] == "normal":
        return "normal"
    location = row["condition"].split("_centered")[0]
    mils = round(float(row["fault_diameter_in"]) * 1000)
    return f"{location}_{mils:03d}"


def _channel(
    data: dict[str, object], number: int, name: str, path: Path
) -> NDArray[np.float64]:
    key = f"X{number:03d}_{name}_time"
    if key not in data:
        raise DataFormatError(f"no variable {key}", source=str(path), field=key)
    arr = np.asarray(data[key], dtype=np.float64).ravel()
    if not np.isfinite(arr).all():
        raise DataFormatError("non-finite samples", source=str(path), field=key)
    return arr


def read_cwru(directory: Path) -> list[BearingRecording]:
    """Every recording listed in ``directory/index.csv``, at 12 kHz."""
    index = directory / "index.csv"
    if not index.exists():
        raise DatasetUnavailable(f"no CWRU index at {index}")
    out = []
    with index.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            path = directory / row["file"]
            try:
                data = io.loadmat(path)
                number = int(row["cwru_file_number"])
                rate = int(row["sampling_rate_hz"].split()[0])
            except (OSError, ValueError, KeyError) as exc:
                raise DataFormatError(
                    f"cannot read recording: {exc}", source=str(index), line=line
                ) from exc
            de = _channel(data, number, "DE", path)
            fe = _channel(data, number, "FE", path)
            sig = np.column_stack([de, fe])
            if rate != RATE_HZ:
                sig = signal.decimate(sig, rate // RATE_HZ, axis=0, zero_phase=True)
            out.append(
                BearingRecording(
                    row["file"], _label(row), sig, int(row["motor_load_hp"])
                )
            )
    return out


__all__ = ["RATE_HZ", "BearingRecording", "read_cwru"]
