"""NASA C-MAPSS turbofan run-to-failure data (FD001–FD004)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kiwerk.errors import DataFormatError, NotFound

SUBSETS = ("FD001", "FD002", "FD003", "FD004")
SETTING_COLUMNS = [f"setting_{i}" for i in range(1, 4)]
SENSOR_COLUMNS = [f"s_{i}" for i in range(1, 22)]
COLUMNS = ["unit", "cycle", *SETTING_COLUMNS, *SENSOR_COLUMNS]


@dataclass(frozen=True)
class CmapssSubset:
    """One C-MAPSS subset.

    Attributes
    ----------
    name
        ``FD001`` … ``FD004``.
    train
        Run-to-failure trajectories: ``unit``, ``cycle``, 3 settings, 21 sensors.
    test
        Trajectories cut some time before failure, same columns.
    rul
        True remaining useful life after the last test cycle, indexed by unit.
    """

    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    rul: pd.Series


def read_cmapss_table(path: Path) -> pd.DataFrame:
    """Read one whitespace-separated C-MAPSS table with named columns."""
    try:
        frame = pd.read_csv(path, sep=r"\s+", header=None, dtype=np.float64)
    except ValueError as exc:
        raise DataFormatError(f"not a C-MAPSS table: {exc}", source=str(path)) from exc
    if frame.shape[1] != len(COLUMNS):
        raise DataFormatError(
            f"expected {len(COLUMNS)} columns, found {frame.shape[1]}", source=str(path)
        )
    frame.columns = pd.Index(COLUMNS)
    frame[["unit", "cycle"]] = frame[["unit", "cycle"]].astype(np.int64)
    return frame


def load_cmapss(subset: str, *, directory: Path) -> CmapssSubset:
    """Load one subset from a folder holding NASA's ``train_/test_/RUL_`` files.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> root = Settings().data / "cmapss"
    >>> fd = load_cmapss("FD001", directory=root)  # doctest: +SKIP
    >>> fd.train["unit"].nunique(), len(fd.rul)  # doctest: +SKIP
    (100, 100)
    """
    name = subset.upper()
    if name not in SUBSETS:
        raise NotFound(f"unknown C-MAPSS subset {subset!r}; expected one of {SUBSETS}")
    train = read_cmapss_table(directory / f"train_{name}.txt")
    test = read_cmapss_table(directory / f"test_{name}.txt")
    rul_path = directory / f"RUL_{name}.txt"
    rul_values = pd.read_csv(rul_path, sep=r"\s+", header=None).iloc[:, 0]
    units = np.sort(test["unit"].unique())
    if len(units) != len(rul_values):
        raise DataFormatError(
            f"{len(rul_values)} RUL values for {len(units)} test units",
            source=str(rul_path),
        )
    rul = pd.Series(rul_values.to_numpy(dtype=np.int64), index=units, name="rul")
    rul.index.name = "unit"
    return CmapssSubset(name=name, train=train, test=test, rul=rul)
