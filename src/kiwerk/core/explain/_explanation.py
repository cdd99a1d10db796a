"""The outcome of explaining predictions: per-row contributions and a summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Explanation:
    """Additive feature contributions for a batch of predictions.

    Parameters
    ----------
    contributions
        One row per explained prediction, one column per feature: how much the
        feature pushed that prediction away from its base value (in the model's
        output space named by ``output``).
    base_values
        Per row, the expected model output its contributions start from
        (rows may explain different sub-models, e.g. per failure mode).
    output
        What the contributions add up to, e.g. ``"log-odds of failure"``.
    labels
        Optional per-row label the explanation refers to (e.g. a failure type).

    Examples
    --------
    >>> c = pd.DataFrame({"a": [1.0, -3.0], "b": [0.5, 0.5]})
    >>> e = Explanation(contributions=c, base_values=np.zeros(2), output="score")
    >>> list(e.importance().index)
    ['a', 'b']
    >>> e.top(0, 1)
    [('a', 1.0)]
    """

    contributions: pd.DataFrame
    base_values: np.ndarray
    output: str
    labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.base_values) != len(self.contributions):
            raise ValueError(
                f"expected {len(self.contributions)} base values, "
                f"got {len(self.base_values)}"
            )
        if self.labels is not None and len(self.labels) != len(self.contributions):
            raise ValueError(
                f"expected {len(self.contributions)} labels, got {len(self.labels)}"
            )

    @property
    def rows(self) -> int:
        """Number of explained predictions."""
        return len(self.contributions)

    def importance(self) -> pd.Series:
        """Global importance: mean absolute contribution per feature, descending."""
        values = self.contributions.abs().mean(axis=0)
        return values.sort_values(ascending=False, kind="stable")

    def top(self, row: int, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` features that pushed prediction ``row`` hardest, signed."""
        values = self.contributions.iloc[row]
        order = np.argsort(-values.abs().to_numpy(), kind="stable")[:k]
        return [(str(values.index[i]), float(values.iloc[i])) for i in order]

    def summary(self, k: int = 10) -> dict[str, Any]:
        """A JSON-able summary: output space, base value, top-``k`` importance."""
        importance = self.importance().head(k)
        return {
            "output": self.output,
            "base_value": float(np.mean(self.base_values)) if self.rows else 0.0,
            "rows": self.rows,
            "importance": {str(n): float(v) for n, v in importance.items()},
        }
