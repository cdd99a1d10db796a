"""Check a sensor frame before any number is computed from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kiwerk.errors import ContractViolation

SETTINGS = [f"setting_{i}" for i in range(1, 4)]
SENSORS = [f"s_{i}" for i in range(1, 22)]
COLUMNS = ["unit", "cycle", *SETTINGS, *SENSORS]


def validate_frame(
    frame: pd.DataFrame, *, source: str = "sensor frame"
) -> pd.DataFrame:
    """Return a clean float copy of a C-MAPSS-style frame, sorted by unit and cycle.

    See :func:`validate_with_order`, which also returns the row order used.

    Examples
    --------
    >>> row = {c: 0.0 for c in COLUMNS} | {"unit": 1, "cycle": 1}
    >>> validate_frame(pd.DataFrame([row])).shape
    (1, 26)
    """
    return validate_with_order(frame, source=source)[0]


def validate_with_order(
    frame: pd.DataFrame, *, source: str = "sensor frame"
) -> tuple[pd.DataFrame, NDArray[np.int64]]:
    """Clean a C-MAPSS-style frame and say where each clean row came from.

    The frame must hold exactly the columns ``unit``, ``cycle``, ``setting_1..3``
    and ``s_1..s_21``, all numeric and finite; ``unit`` and ``cycle`` are whole
    numbers and each unit's cycles strictly increase in the order given.

    Returns the clean frame (float sensors, sorted by unit, cycles in order)
    and, for each of its rows, the position of the input row it came from.

    Raises
    ------
    ContractViolation
        Naming the column, and the row (1-based), unit and cycle where known.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"Expected a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ContractViolation(
            f"missing columns {missing}", source=source, field=missing[0]
        )
    extra = [str(c) for c in frame.columns if c not in COLUMNS]
    if extra:
        raise ContractViolation(
            f"unexpected columns {extra}", source=source, field=extra[0]
        )
    if frame.empty:
        raise ContractViolation("no rows", source=source)
    values = {}
    for column in COLUMNS:
        numeric = pd.to_numeric(frame[column], errors="coerce")
        bad = ~np.isfinite(numeric.to_numpy(dtype=np.float64))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ContractViolation(
                f"non-numeric or missing value {frame[column].iloc[row]!r}"
                f"{_where(frame, row)}",
                source=source,
                line=row + 1,
                field=column,
            )
        values[column] = numeric.to_numpy(dtype=np.float64)
    clean = pd.DataFrame(values, columns=COLUMNS)
    for column in ("unit", "cycle"):
        fractional = clean[column] != np.round(clean[column])
        if fractional.any():
            row = int(np.flatnonzero(fractional.to_numpy())[0])
            raise ContractViolation(
                f"{column} must be a whole number{_where(frame, row)}",
                source=source,
                line=row + 1,
                field=column,
            )
    _check_cycles(clean, source)
    clean[["unit", "cycle"]] = clean[["unit", "cycle"]].astype(np.int64)
    order = np.lexsort((np.arange(len(clean)), clean["unit"].to_numpy()))
    return clean.iloc[order].reset_index(drop=True), order.astype(np.int64)


def _check_cycles(clean: pd.DataFrame, source: str) -> None:
    """Each unit's cycles must strictly increase in file order."""
    previous = clean.groupby("unit", sort=False)["cycle"].shift()
    backwards = (clean["cycle"] <= previous).to_numpy()
    if backwards.any():
        row = int(np.flatnonzero(backwards)[0])
        unit = int(clean["unit"].iloc[row])
        raise ContractViolation(
            f"unit {unit}: cycle {int(clean['cycle'].iloc[row])} does not follow "
            f"cycle {int(previous.iloc[row])} (cycles must increase)",
            source=source,
            line=row + 1,
            field="cycle",
        )


def _where(frame: pd.DataFrame, row: int) -> str:
    """`` (unit U, cycle C)`` for a row whose unit and cycle are readable."""
    try:
        unit = int(frame["unit"].iloc[row])
        cycle = int(frame["cycle"].iloc[row])
    except (TypeError, ValueError):
        return ""
    return f" (unit {unit}, cycle {cycle})"


def check_lengths(clean: pd.DataFrame, window: int, padding: str, source: str) -> None:
    """Under ``padding="error"``, refuse units with fewer cycles than the window."""
    if padding != "error":
        return
    sizes = clean.groupby("unit", sort=True).size()
    short = sizes[sizes < window]
    if len(short):
        unit = int(short.index[0])
        raise ContractViolation(
            f"unit {unit} has {int(short.iloc[0])} cycles, fewer than the window "
            f"of {window} (use padding='edge' to repeat its first cycle)",
            source=source,
            field="cycle",
        )
