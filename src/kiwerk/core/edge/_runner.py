"""Score exported models with onnxruntime alone: files and MQTT messages."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kiwerk.core.edge._spec import EDGE_SPEC_KEY, EdgeSpec
from kiwerk.errors import DataFormatError

Row = Mapping[str, Any]


class EdgeRunner:
    """An ONNX model exported by ``kiwerk models export``, ready to score rows.

    Parameters
    ----------
    path
        The ``.onnx`` file. Its spec is read from the file's metadata, else
        from ``path.json`` beside it.
    threads
        onnxruntime intra-op threads (1 suits small edge devices).

    Raises
    ------
    DataFormatError
        When the file is missing, not ONNX or carries no spec.
    """

    def __init__(self, path: Path, *, threads: int = 1) -> None:
        import onnxruntime as ort

        if not path.is_file():
            raise DataFormatError("no such model file", source=str(path))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own, untyped errors
            raise DataFormatError(
                f"not a loadable ONNX model: {exc}", source=str(path)
            ) from exc
        meta = self.session.get_modelmeta().custom_metadata_map
        side = path.with_name(path.name + ".json")
        if EDGE_SPEC_KEY in meta:
            self.spec = EdgeSpec.from_json(meta[EDGE_SPEC_KEY], source=str(path))
        elif side.is_file():
            self.spec = EdgeSpec.from_json(side.read_text(encoding="utf-8"), str(side))
        else:
            raise DataFormatError(
                "the model carries no kiwerk edge spec", source=str(path)
            )
        self._names = [o.name for o in self.session.get_outputs()]

    def score(
        self, rows: Sequence[Row], *, source: str = "input", first_line: int = 1
    ) -> list[dict[str, Any]]:
        """One output record per row, columns named by the spec."""
        if not rows:
            return []
        feeds = self.spec.feeds(rows, source=source, first_line=first_line)
        outputs = self.session.run(self._names, feeds)
        table: dict[str, list[Any]] = {}
        for name, value in zip(self._names, outputs, strict=True):
            array = np.asarray(value).reshape(len(rows), -1)
            columns = self.spec.outputs.get(name, (name,))
            if len(columns) != array.shape[1]:
                columns = tuple(f"{columns[0]}_{j}" for j in range(array.shape[1]))
            for j, column in enumerate(columns):
                table[column] = array[:, j].tolist()
        return [{k: v[i] for k, v in table.items()} for i in range(len(rows))]

    def score_file(
        self, path: Path, *, batch: int = 10_000
    ) -> Iterator[dict[str, Any]]:
        """Score a CSV or JSON-lines file in batches of ``batch`` rows."""
        rows, first = read_rows(path)
        for start in range(0, len(rows), batch):
            yield from self.score(
                rows[start : start + batch], source=str(path), first_line=first + start
            )


def read_rows(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Rows of a CSV (header line) or JSON-lines file and its first data line.

    Raises
    ------
    DataFormatError
        When the file is missing or a line is not a JSON object.
    """
    if not path.is_file():
        raise DataFormatError("no such file", source=str(path))
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        rows = []
        with path.open(encoding="utf-8") as handle:
            for n, line in enumerate(handle, start=1):
                if line.strip():
                    rows.append(parse_row(line, source=str(path), line=n))
        return rows, 1
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle)), 2


def parse_row(
    text: str | bytes, *, source: str, line: int | None = None
) -> dict[str, Any]:
    """One JSON object (a request row).

    Examples
    --------
    >>> parse_row('{"a": 1}', source="x")
    {'a': 1}
    """
    try:
        row = json.loads(text)
    except ValueError as exc:
        raise DataFormatError(f"not JSON: {exc}", source=source, line=line) from exc
    if not isinstance(row, dict):
        raise DataFormatError("expected a JSON object", source=source, line=line)
    return row


__all__ = ["EdgeRunner", "parse_row", "read_rows"]
