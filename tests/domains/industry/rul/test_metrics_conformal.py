"""Protocol metrics and conformal calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kiwerk.domains.industry.rul import (
    ConformalCalibrator,
    coverage,
    evaluate_rul,
    nasa_score,
)


def test_nasa_score_penalises_late_more_than_early() -> None:
    """Ten cycles late costs e − 1; ten early costs exp(10/13) − 1."""
    assert nasa_score(np.array([20.0]), np.array([10.0])) == pytest.approx(np.e - 1)
    assert nasa_score(np.array([0.0]), np.array([10.0])) == pytest.approx(
        np.exp(10 / 13) - 1
    )


def test_evaluate_caps_the_truth_for_the_headline() -> None:
    """Truth 200 counts as 125 for the headline RMSE, as 200 for the uncapped one."""
    est = pd.Series([125.0, 50.0], index=[1, 2])
    truth = pd.Series([50.0, 200.0], index=[2, 1])
    interval = pd.DataFrame(
        {"lower": [100.0, 40.0], "upper": [130.0, 45.0]}, index=[1, 2]
    )
    report = evaluate_rul(est, truth, cap=125.0, interval=interval)
    assert report.rmse == 0.0
    assert report.rmse_uncapped == pytest.approx(np.sqrt(75.0**2 / 2))
    assert report.coverage == 0.5


def test_conformal_interval_covers_at_the_nominal_rate() -> None:
    """On exchangeable heteroscedastic errors the 90% interval covers about 90%."""
    rng = np.random.default_rng(0)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        est = rng.uniform(0, 125, n)
        return est, est + rng.normal(0, 2 + 0.1 * est)

    est, truth = draw(4000)
    calib = ConformalCalibrator.fit(est, truth, np.arange(4000) % 40, seed=0)
    new_est, new_truth = draw(20000)
    half = calib.width(new_est, 0.1)
    assert coverage(new_est - half, new_est + half, new_truth) == pytest.approx(
        0.9, abs=0.015
    )
    assert half[new_est > 100].mean() > 2 * half[new_est < 20].mean()  # adaptive width


def test_conformal_refuses_bad_alpha() -> None:
    """alpha outside (0, 1) raises."""
    calib = ConformalCalibrator.fit(
        np.arange(8.0), np.arange(8.0), np.arange(8), seed=0
    )
    with pytest.raises(ValueError, match="alpha"):
        calib.width(np.array([1.0]), 1.5)
