"""Split-conformal intervals whose width follows the estimate (locally adaptive)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ConformalCalibrator:
    """Interval ``estimate ± q · spread(estimate)`` from held-out engines.

    The held-out (out-of-fold) engines are split in two by unit: the first half
    fits ``spread``, the mean absolute error as a function of the estimate
    (errors are small near failure and large mid-life); the second half gives
    the conformity scores ``|truth − estimate| / spread(estimate)`` whose
    finite-sample quantile sets ``q``.

    Attributes
    ----------
    knots, spread
        ``spread`` at the estimate values ``knots`` (linear in between).
    scores
        Sorted conformity scores of the calibration half.
    """

    knots: Array
    spread: Array
    scores: Array

    @classmethod
    def fit(
        cls, estimate: Array, truth: Array, units: NDArray[np.int64], seed: int
    ) -> ConformalCalibrator:
        """Fit on held-out estimates, their (capped) truths and their unit ids."""
        if not len(estimate) == len(truth) == len(units):
            raise ValueError("Expected estimate, truth and units of equal length.")
        distinct = np.unique(units)
        if distinct.size < 4:
            raise ValueError(
                f"Expected at least 4 held-out units, got {distinct.size}."
            )
        rng = np.random.default_rng(seed)
        first = np.isin(units, rng.permutation(distinct)[: distinct.size // 2])
        error = np.abs(truth - estimate)
        edges = np.unique(np.quantile(estimate[first], np.linspace(0, 1, 11)))
        bins = np.clip(
            np.searchsorted(edges, estimate[first], side="right") - 1, 0, None
        )
        bins = np.minimum(bins, max(len(edges) - 2, 0))
        knots, spread = [], []
        for b in np.unique(bins):
            knots.append(float(np.median(estimate[first][bins == b])))
            spread.append(float(error[first][bins == b].mean()))
        floor = max(1.0, 0.05 * float(np.mean(spread)))
        knots_a = np.asarray(knots)
        spread_a = np.maximum(np.asarray(spread), floor)
        calib = ~first
        scores = error[calib] / np.interp(estimate[calib], knots_a, spread_a)
        return cls(knots=knots_a, spread=spread_a, scores=np.sort(scores))

    def width(self, estimate: Array, alpha: float) -> Array:
        """Half-width of the ``1 - alpha`` interval at each estimate."""
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"Expected alpha in (0, 1), got {alpha}.")
        n = self.scores.size
        rank = int(np.ceil((n + 1) * (1.0 - alpha)))
        q = np.inf if rank > n else float(self.scores[rank - 1])
        return np.asarray(q * np.interp(estimate, self.knots, self.spread))


def coverage(lower: Array, upper: Array, truth: Array) -> float:
    """Share of truths inside ``[lower, upper]``.

    Examples
    --------
    >>> coverage(np.array([0.0, 0.0]), np.array([1.0, 1.0]), np.array([0.5, 2.0]))
    0.5
    """
    return float(np.mean((truth >= lower) & (truth <= upper)))
