"""Check batches against a dataset's contract: columns, types, values, uniqueness.

Types are enforced with Arrow casts; value checks (ranges, allowed values,
missing values) run through a pandera schema built from the
:class:`~kiwerk.core.data.DatasetSpec`; uniqueness is tracked across batches,
the first occurrence of a value winning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa_schema
import pyarrow as pa
import pyarrow.compute as pc

from kiwerk.core.data._quality import Violation
from kiwerk.core.data._spec import ColumnSpec, DatasetSpec
from kiwerk.errors import ContractViolation

ARROW_TYPES: dict[str, pa.DataType] = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
}


def check_columns(names: list[str], spec: DatasetSpec, source: str) -> None:
    """Refuse a file that lacks a required column or, if strict, has extra ones.

    Raises
    ------
    ContractViolation
        Naming the first missing (or unexpected) column.
    """
    present = set(names)
    for column in spec.columns:
        if column.required and column.name not in present:
            raise ContractViolation(
                f"required column missing (file has {sorted(present)})",
                source=source,
                field=column.name,
            )
    if spec.strict:
        declared = {c.name for c in spec.columns}
        extra = [n for n in names if n not in declared]
        if extra:
            raise ContractViolation(
                "column not in the strict contract", source=source, field=extra[0]
            )


def conform(
    batch: pa.RecordBatch, spec: DatasetSpec, *, first_row: int, source: str
) -> pa.RecordBatch:
    """Cast the declared columns of ``batch`` to their contract types.

    Raises
    ------
    ContractViolation
        Naming the column and the first row whose value cannot be cast.
    """
    arrays = list(batch.columns)
    for i, name in enumerate(batch.schema.names):
        column = spec.column(name)
        if column is None or arrays[i].type == ARROW_TYPES[column.dtype]:
            continue
        try:
            arrays[i] = pc.cast(arrays[i], ARROW_TYPES[column.dtype])
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            row, value = _first_uncastable(arrays[i], ARROW_TYPES[column.dtype])
            raise ContractViolation(
                f"row {first_row + row}: value {value!r} is not of type {column.dtype}",
                source=source,
                field=name,
            ) from exc
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _first_uncastable(array: pa.Array, target: pa.DataType) -> tuple[int, Any]:
    lo, hi = 0, len(array)
    while hi - lo > 1:  # bisect: the first half that fails holds the value
        mid = (lo + hi) // 2
        try:
            pc.cast(array.slice(lo, mid - lo), target)
            lo = mid
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            hi = mid
    return lo, array[lo].as_py()


class ContractChecker:
    """Finds the rows of each batch that break the value checks of a contract.

    Parameters
    ----------
    spec
        The dataset's contract.
    """

    def __init__(self, spec: DatasetSpec) -> None:
        self.spec = spec
        self._seen: dict[str, set[int]] = {
            c.name: set() for c in spec.columns if c.unique
        }
        columns = {
            c.name: pa_schema.Column(
                checks=_checks(c), nullable=c.nullable, required=False, name=c.name
            )
            for c in spec.columns
            if _checks(c) or not c.nullable
        }
        self._schema = (
            pa_schema.DataFrameSchema(columns, strict=False) if columns else None
        )

    def violations(
        self, batch: pa.RecordBatch, *, first_row: int
    ) -> Iterator[Violation]:
        """Yield the violations of ``batch``; rows are numbered from ``first_row``."""
        yield from self._value_violations(batch, first_row)
        for name, seen in self._seen.items():
            if name in batch.schema.names:
                yield from _duplicates(batch.column(name), name, seen, first_row)

    def _value_violations(
        self, batch: pa.RecordBatch, first_row: int
    ) -> Iterator[Violation]:
        if self._schema is None:
            return
        names = [n for n in self._schema.columns if n in batch.schema.names]
        if not names:
            return
        frame = batch.select(names).to_pandas()
        frame.index = pd.RangeIndex(first_row, first_row + batch.num_rows)
        try:
            self._schema.validate(frame, lazy=True)
        except pa_schema.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            for column, check, value, index in zip(
                cases["column"],
                cases["check"],
                cases["failure_case"],
                cases["index"],
                strict=True,
            ):
                if index is None or pd.isna(index):
                    continue
                yield Violation(int(index), None, str(column), str(check), str(value))


def _checks(column: ColumnSpec) -> list[pa_schema.Check]:
    checks = []
    if column.min is not None:
        checks.append(pa_schema.Check.ge(column.min))
    if column.max is not None:
        checks.append(pa_schema.Check.le(column.max))
    if column.allowed is not None:
        checks.append(pa_schema.Check.isin(list(column.allowed)))
    return checks


def _duplicates(
    column: pa.Array, name: str, seen: set[int], first_row: int
) -> Iterator[Violation]:
    values = column.to_pandas()
    hashes = pd.util.hash_pandas_object(values, index=False).to_numpy()
    repeated = pd.Series(hashes).duplicated().to_numpy()
    earlier = np.fromiter((h in seen for h in hashes.tolist()), bool, len(hashes))
    seen.update(hashes.tolist())
    for i in np.flatnonzero((repeated | earlier) & values.notna().to_numpy()):
        yield Violation(first_row + int(i), None, name, "unique", str(values.iloc[i]))


def row_mask(rows: list[int], first_row: int, length: int) -> pa.Array:
    """A boolean Arrow mask of length ``length``, true at the given row numbers."""
    mask = np.zeros(length, dtype=bool)
    mask[np.asarray(rows, dtype=np.int64) - first_row] = True
    return pa.array(mask)


__all__ = ["ARROW_TYPES", "ContractChecker", "check_columns", "conform", "row_mask"]
