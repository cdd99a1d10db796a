"""AI4I 2020 predictive-maintenance data (UCI 601)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kiwerk.errors import DataFormatError

FEATURES = [
    "Type",
    "Air temperature [K]",
    "Process temperature [K]",
    "Rotational speed [rpm]",
    "Torque [Nm]",
    "Tool wear [min]",
]
TARGET = "Machine failure"
FAILURE_MODES = ["TWF", "HDF", "PWF", "OSF", "RNF"]
IDENTIFIERS = ["UDI", "Product ID"]


def load_ai4i(*, directory: Path) -> pd.DataFrame:
    """Load ``ai4i2020.csv``: 10,000 rows, features, label and failure modes.

    The failure-mode columns are labels, never features; ``UDI`` and
    ``Product ID`` are identifiers, never features.

    Parameters
    ----------
    directory
        The folder holding ``ai4i2020.csv`` (UTF-8 with BOM, CRLF).

    Returns
    -------
    pandas.DataFrame
        The 14 columns of the file: :data:`IDENTIFIERS` (``UDI`` int,
        ``Product ID`` str), :data:`FEATURES` (``Type`` L/M/H and five
        numeric process values), :data:`TARGET` (0/1) and the five 0/1
        :data:`FAILURE_MODES`.

    Raises
    ------
    DataFormatError
        A column is missing.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> frame = load_ai4i(directory=Settings().data / "ai4i2020")  # doctest: +SKIP
    >>> frame.shape, int(frame[TARGET].sum())  # doctest: +SKIP
    ((10000, 14), 339)
    """
    path = directory / "ai4i2020.csv"
    frame = pd.read_csv(path, encoding="utf-8-sig")
    missing = [
        c for c in [*IDENTIFIERS, *FEATURES, TARGET, *FAILURE_MODES] if c not in frame
    ]
    if missing:
        raise DataFormatError(f"missing columns {missing}", source=str(path))
    return frame
