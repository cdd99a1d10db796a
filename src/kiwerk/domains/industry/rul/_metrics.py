"""The C-MAPSS evaluation protocol: RMSE (capped and uncapped truth) and NASA score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


def rmse(estimate: ArrayLike, truth: ArrayLike) -> float:
    """Root mean squared error.

    Examples
    --------
    >>> rmse(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
    1.4142135623730951
    """
    diff = np.asarray(estimate, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
    return float(np.sqrt(np.mean(diff**2)))


def nasa_score(estimate: ArrayLike, truth: ArrayLike) -> float:
    """The PHM08 asymmetric score: ``exp(-d/13)-1`` early, ``exp(d/10)-1`` late.

    ``d = estimate - truth``; a sum over engines, so never compare it across
    subsets of different size.

    Examples
    --------
    >>> round(nasa_score(np.array([10.0, 0.0]), np.array([0.0, 13.0])), 4)
    3.4366
    """
    d = np.asarray(estimate, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
    return float(np.where(d < 0, np.exp(-d / 13.0) - 1.0, np.exp(d / 10.0) - 1.0).sum())


@dataclass(frozen=True)
class RulReport:
    """Scores on the last window of every test engine.

    Attributes
    ----------
    rmse
        Against the true RUL capped at the cap (the headline convention).
    rmse_uncapped
        Against the true RUL as given.
    score
        NASA score against the capped truth.
    coverage
        Share of capped truths inside the interval, ``nan`` without one.
    engines
        Number of engines scored.
    """

    rmse: float
    rmse_uncapped: float
    score: float
    coverage: float
    engines: int


def evaluate_rul(
    estimate: pd.Series,
    truth: pd.Series,
    cap: float,
    interval: pd.DataFrame | None = None,
) -> RulReport:
    """Score last-window estimates (indexed by unit) against the true RUL.

    Raises
    ------
    ValueError
        When the units of estimate and truth differ.
    """
    if set(estimate.index) != set(truth.index):
        raise ValueError("Expected estimates and truths for the same units.")
    truth = truth.loc[estimate.index].astype(np.float64)
    est = estimate.to_numpy(dtype=np.float64)
    capped = np.minimum(truth.to_numpy(dtype=np.float64), cap).astype(np.float64)
    cover = float("nan")
    if interval is not None:
        bounds = interval.loc[estimate.index]
        inside = (capped >= bounds["lower"].to_numpy()) & (
            capped <= bounds["upper"].to_numpy()
        )
        cover = float(inside.mean())
    return RulReport(
        rmse=rmse(est, capped),
        rmse_uncapped=rmse(est, truth.to_numpy(dtype=np.float64)),
        score=nasa_score(est, capped),
        coverage=cover,
        engines=len(est),
    )
