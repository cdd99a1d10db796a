"""Checking prediction requests against a pilot's declared input columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kiwerk.core.pipeline._spec import DataContract
from kiwerk.errors import ContractViolation


def validate_inputs(
    frame: pd.DataFrame,
    contract: DataContract,
    *,
    source: str = "input",
    first_line: int = 1,
) -> pd.DataFrame:
    """The request columns of ``frame``, checked and typed.

    Parameters
    ----------
    frame
        The request rows.
    contract
        The pilot's contract, whose ``inputs`` the rows must carry.
    source
        Where the rows came from, for error messages.
    first_line
        The line number of the first row in ``source`` (2 for a CSV file with
        a header line), so errors name the line a person sees.

    Raises
    ------
    ContractViolation
        Naming the column (and row) of a missing, unexpected, non-numeric,
        missing-valued or unknown-category value.

    Examples
    --------
    >>> from kiwerk.core.pipeline._spec import DatasetContract, InputColumn
    >>> c = DataContract(
    ...     datasets=(DatasetContract("d", locate=lambda p: p),), org="o",
    ...     inputs=(InputColumn("speed"),))
    >>> validate_inputs(pd.DataFrame({"speed": ["1.5"]}), c)["speed"].tolist()
    [1.5]
    >>> validate_inputs(pd.DataFrame({"speed": ["fast"]}), c)
    Traceback (most recent call last):
    ...
    kiwerk.errors.ContractViolation: input, line 1, field 'speed': ...
    """
    expected = [c.name for c in contract.inputs]
    missing = [n for n in expected if n not in frame.columns]
    if missing:
        raise ContractViolation(
            f"missing column; a request needs {expected}",
            source=source,
            field=missing[0],
        )
    extra = [
        str(n) for n in frame.columns if n not in expected and n not in contract.ignored
    ]
    if extra:
        raise ContractViolation(
            f"unexpected column; allowed are {expected} "
            f"(ignored: {list(contract.ignored)})",
            source=source,
            field=extra[0],
        )
    if frame.empty:
        raise ContractViolation("no rows to predict", source=source)
    checked = {}
    for column in contract.inputs:
        values = frame[column.name]
        if column.kind == "number":
            checked[column.name] = _numbers(values, column.name, source, first_line)
        else:
            text = _texts(values)
            allowed = set(column.categories)
            bad = np.fromiter((t not in allowed for t in text), bool, len(text))
            _fail_first(
                bad,
                f"expected one of {list(column.categories)}",
                values,
                column.name,
                source,
                first_line,
            )
            checked[column.name] = pd.Series(text, index=frame.index, dtype=object)
    return pd.DataFrame(checked, index=frame.index)


def _texts(values: pd.Series) -> np.ndarray:
    """Values as ``str`` (missing ones as ``None``), like ``astype("string")``."""
    raw = values.to_numpy(dtype=object)
    missing = pd.isna(raw)
    return np.array(
        [None if m else str(v) for v, m in zip(raw, missing, strict=True)],
        dtype=object,
    )


def _numbers(values: pd.Series, name: str, source: str, first: int) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numeric = values.astype(float)  # already numbers (e.g. a JSON body)
    else:
        numeric = pd.to_numeric(values, errors="coerce").astype(float)
    bad = ~np.isfinite(numeric.to_numpy())
    _fail_first(bad, "expected a finite number", values, name, source, first)
    return numeric


def _fail_first(
    bad: np.ndarray,
    message: str,
    values: pd.Series,
    name: str,
    source: str,
    first: int,
) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ContractViolation(
            f"{message}, got {values.iloc[row]!r}",
            source=source,
            line=row + first,
            field=name,
        )
