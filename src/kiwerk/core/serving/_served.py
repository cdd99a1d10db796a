"""A registered model loaded for prediction and explanation (no HTTP here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kiwerk.core.explain import Explanation
from kiwerk.core.models import ModelRecord, ModelRegistry
from kiwerk.core.pipeline import DomainPipeline, validate_inputs
from kiwerk.errors import DataFormatError


@dataclass(frozen=True)
class ServedModel:
    """A pilot's registered model, ready to predict and explain requests.

    Use :meth:`load`; requests are checked against the pilot's input columns
    before the feature step runs.
    """

    pilot: DomainPipeline
    record: ModelRecord
    model: Any

    @classmethod
    def load(
        cls,
        pilot: DomainPipeline,
        registry: ModelRegistry,
        ref: str | int | None = None,
    ) -> ServedModel:
        """Load a version of ``pilot``'s model.

        Parameters
        ----------
        ref
            A version number, an alias (``production``, ``candidate``), or
            ``None``: the production version if one is set, else the newest.

        Raises
        ------
        NotFound
            When the pilot was never trained or ``ref`` does not exist.
        """
        record = registry.resolve(pilot.name, ref)
        return cls(pilot=pilot, record=record, model=registry.load(record))

    def _features(
        self, frame: pd.DataFrame, source: str, first_line: int
    ) -> pd.DataFrame:
        checked = validate_inputs(
            frame, self.pilot.contract, source=source, first_line=first_line
        )
        return self.pilot.features(checked)

    def predict(
        self, frame: pd.DataFrame, *, source: str = "input", first_line: int = 1
    ) -> pd.DataFrame:
        """The pilot's prediction table for the request rows in ``frame``.

        Raises
        ------
        ContractViolation
            Naming the column and line of a bad request.
        """
        return self.pilot.predict(self.model, self._features(frame, source, first_line))

    def explain(
        self, frame: pd.DataFrame, *, source: str = "input", first_line: int = 1
    ) -> tuple[pd.DataFrame, Explanation]:
        """Predictions and per-row feature contributions for ``frame``."""
        X = self._features(frame, source, first_line)
        return self.pilot.predict(self.model, X), self.pilot.explainer(self.model, X)


def read_request_file(path: Path) -> tuple[pd.DataFrame, int]:
    """Rows of a CSV, Parquet or JSON-lines request file, and its first data line.

    Raises
    ------
    DataFormatError
        When the file is missing, empty or cannot be parsed.
    """
    if not path.is_file():
        raise DataFormatError("no such file", source=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path), 1
        if suffix in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True), 1
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str), 2
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(
            f"cannot read request file: {exc}", source=str(path)
        ) from exc
