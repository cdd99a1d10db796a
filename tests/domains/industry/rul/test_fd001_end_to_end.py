"""FD001 end to end: train on the training file, score the test engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiwerk.datasets import load_cmapss
from kiwerk.domains.industry.rul import RulEstimator, RulParams, evaluate_rul


@pytest.mark.slow
def test_fd001_last_window_rmse_below_16(data_dir: Path) -> None:
    """A reduced ensemble reaches RMSE < 16 on FD001's 100 test engines."""
    data = load_cmapss("FD001", directory=data_dir / "cmapss")
    params = RulParams.for_subset("FD001", folds=3, steps=300, gbm_trees=300)
    est = RulEstimator(params).fit(data.train, seed=0)
    interval = est.predict_interval(data.test, alpha=0.1)
    report = evaluate_rul(interval["estimate"], data.rul, params.cap, interval)
    assert report.engines == 100
    assert report.rmse < 16.0
    assert 0.75 <= report.coverage <= 1.0
    assert report.rmse_uncapped >= report.rmse - 1.0
