"""The edge spec of an exported model: request columns → graph inputs.

Read with the standard library and numpy only, so that an edge device needs
no training stack (see :mod:`kiwerk.core.edge`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiwerk.errors import DataFormatError

EDGE_SPEC_KEY = "kiwerk.edge"
_DTYPES = {"float64": np.float64, "float32": np.float32, "int64": np.int64}


@dataclass(frozen=True)
class EdgeInput:
    """One graph input: the request columns it stacks, in order."""

    name: str
    columns: tuple[str, ...]
    dtype: str
    categories: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class EdgeSpec:
    """How request rows feed an ONNX graph and how its outputs are named.

    Examples
    --------
    >>> spec = EdgeSpec.from_json('{"inputs": [{"name": "x", "columns": ["a", "b"],'
    ...     ' "dtype": "float64"}], "outputs": [{"name": "y", "columns": ["y"]}]}')
    >>> spec.feeds([{"a": "1.5", "b": 2}])["x"].tolist()
    [[1.5, 2.0]]
    """

    inputs: tuple[EdgeInput, ...]
    outputs: Mapping[str, tuple[str, ...]]
    raw: Mapping[str, Any]

    @classmethod
    def from_json(cls, text: str, source: str = "edge spec") -> EdgeSpec:
        """Parse a spec written by :meth:`kiwerk.core.models.onnx.EdgeModel.save`.

        Raises
        ------
        DataFormatError
            When the text is not a spec.
        """
        try:
            raw = json.loads(text)
            inputs = tuple(
                EdgeInput(
                    str(i["name"]),
                    tuple(map(str, i["columns"])),
                    str(i["dtype"]),
                    {k: tuple(v) for k, v in i.get("categories", {}).items()},
                )
                for i in raw["inputs"]
            )
            outputs = {
                str(o["name"]): tuple(map(str, o["columns"])) for o in raw["outputs"]
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise DataFormatError(
                f"not a kiwerk edge spec: {exc}", source=source
            ) from exc
        for item in inputs:
            if item.dtype != "string" and item.dtype not in _DTYPES:
                raise DataFormatError(
                    f"unknown dtype {item.dtype!r}", source=source, field=item.name
                )
        return cls(inputs, outputs, raw)

    @property
    def columns(self) -> list[str]:
        """Every request column the model reads, in input order."""
        return [c for i in self.inputs for c in i.columns]

    def feeds(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        source: str = "input",
        first_line: int = 1,
    ) -> dict[str, np.ndarray[Any, Any]]:
        """The graph inputs for ``rows`` (dicts of column → value).

        Raises
        ------
        DataFormatError
            Naming the line and column of a missing, non-numeric or unknown value.
        """
        return {i.name: self._stack(i, rows, source, first_line) for i in self.inputs}

    def _stack(
        self,
        item: EdgeInput,
        rows: Sequence[Mapping[str, Any]],
        source: str,
        first_line: int,
    ) -> np.ndarray[Any, Any]:
        out: list[list[Any]] = []
        for n, row in enumerate(rows):
            values = []
            for col in item.columns:
                if col not in row or row[col] is None or row[col] == "":
                    raise DataFormatError(
                        "value missing", source=source, line=first_line + n, field=col
                    )
                values.append(self._value(item, col, row[col], source, first_line + n))
            out.append(values)
        if item.dtype == "string":
            return np.array(out, dtype=object).reshape(len(rows), len(item.columns))
        array = np.array(out, dtype=_DTYPES[item.dtype])
        return array.reshape(len(rows), len(item.columns))

    @staticmethod
    def _value(item: EdgeInput, col: str, value: Any, source: str, line: int) -> Any:
        if item.dtype == "string":
            text = str(value)
            allowed = item.categories.get(col)
            if allowed is not None and text not in allowed:
                raise DataFormatError(
                    f"expected one of {list(allowed)}, got {text!r}",
                    source=source,
                    line=line,
                    field=col,
                )
            return text
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise DataFormatError(
                f"expected a finite number, got {value!r}",
                source=source,
                line=line,
                field=col,
            )
        return number


__all__ = [
    "EDGE_SPEC_KEY",
    "EdgeInput",
    "EdgeSpec",
]
