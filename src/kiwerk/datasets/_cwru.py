"""CWRU bearing data: drive-end vibration signals with fault labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.io

from kiwerk.errors import DataFormatError

INDEX_COLUMNS = (
    "file",
    "cwru_file_number",
    "condition",
    "fault_location",
    "fault_diameter_in",
    "motor_load_hp",
    "rpm_recorded_in_file",
    "sampling_rate_hz",
)


@dataclass(frozen=True)
class CwruRecord:
    """One CWRU recording: the drive-end accelerometer signal and its label.

    Attributes
    ----------
    file
        File name, e.g. ``105.mat``.
    number
        CWRU file number (``105``).
    condition
        ``normal``, ``inner_race``, ``ball`` or ``outer_race_centered_6oclock``.
    fault_location
        ``drive_end`` or ``none``.
    fault_diameter_in
        Seeded fault diameter in inches (0 for normal).
    motor_load_hp
        Motor load in horsepower.
    rpm
        Motor speed recorded in the file.
    sampling_rate_hz
        12 000 for the fault files; 48 000 for the normal baseline ``97.mat``
        (downsample it by 4 before mixing it with the fault data).
    drive_end
        Drive-end acceleration in g, float64, 1-D.
    """

    file: str
    number: int
    condition: str
    fault_location: str
    fault_diameter_in: float
    motor_load_hp: int
    rpm: int
    sampling_rate_hz: int
    drive_end: np.ndarray

    @property
    def label(self) -> str:
        """Class of the 10-class task: ``normal`` or ``<condition>_<diameter>``.

        Examples
        --------
        >>> r = CwruRecord("105.mat", 105, "inner_race", "drive_end", 0.007,
        ...                0, 1797, 12000, np.zeros(1))
        >>> r.label
        'inner_race_0.007'
        """
        if self.condition == "normal":
            return "normal"
        return f"{self.condition}_{self.fault_diameter_in:.3f}"


def read_cwru_signal(path: Path, number: int) -> np.ndarray:
    """The drive-end channel ``X<NNN>_DE_time`` of one ``.mat`` file, 1-D."""
    key = f"X{number:03d}_DE_time"
    try:
        content = scipy.io.loadmat(path, variable_names=[key])
    except (ValueError, OSError, NotImplementedError) as exc:
        raise DataFormatError(f"not a MATLAB v5 file: {exc}", source=str(path)) from exc
    if key not in content:
        raise DataFormatError(f"no variable {key}", source=str(path), field=key)
    signal = np.asarray(content[key], dtype=np.float64).ravel()
    if not np.isfinite(signal).all():
        raise DataFormatError("signal has non-finite values", source=str(path))
    return signal


def _leading_int(value: object, *, path: Path, line: int, field: str) -> int:
    match = re.match(r"\s*(\d+)", str(value))
    if match is None:
        raise DataFormatError(
            f"expected a number, found {value!r}",
            source=str(path),
            line=line,
            field=field,
        )
    return int(match.group(1))


def _diameter(values: dict[str, str], *, path: Path, line: int) -> float:
    text = values["fault_diameter_in"] or "0"
    try:
        return float(text)
    except ValueError:
        raise DataFormatError(
            f"expected inches, found {text!r}",
            source=str(path),
            line=line,
            field="fault_diameter_in",
        ) from None


def load_cwru(*, directory: Path) -> tuple[CwruRecord, ...]:
    """Load every recording listed in ``index.csv``, in its order.

    Raises
    ------
    DataFormatError
        ``index.csv`` lacks a column or a value, or a ``.mat`` file lacks its
        drive-end channel.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> records = load_cwru(directory=Settings().data / "cwru")  # doctest: +SKIP
    >>> len(records), records[1].label  # doctest: +SKIP
    (10, 'inner_race_0.007')
    """
    index_path = directory / "index.csv"
    index = pd.read_csv(index_path, dtype=str, keep_default_na=False)
    missing = [c for c in INDEX_COLUMNS if c not in index.columns]
    if missing:
        raise DataFormatError(f"missing columns {missing}", source=str(index_path))
    records = []
    for i, row in enumerate(index.itertuples(index=False), start=2):
        values = dict(zip(index.columns, row, strict=True))

        def number(field: str, *, line: int = i, v: dict[str, str] = values) -> int:
            return _leading_int(v[field], path=index_path, line=line, field=field)

        file_number = number("cwru_file_number")
        records.append(
            CwruRecord(
                file=values["file"],
                number=file_number,
                condition=values["condition"],
                fault_location=values["fault_location"],
                fault_diameter_in=_diameter(values, path=index_path, line=i),
                motor_load_hp=number("motor_load_hp"),
                rpm=number("rpm_recorded_in_file"),
                sampling_rate_hz=number("sampling_rate_hz"),
                drive_end=read_cwru_signal(directory / values["file"], file_number),
            )
        )
    return tuple(records)
