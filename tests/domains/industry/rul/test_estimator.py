"""The RUL estimator: fitting, per-unit prediction, intervals, persistence."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from kiwerk.domains.industry.rul import RulEstimator, RulParams
from kiwerk.errors import NotFittedError


@pytest.fixture(scope="module")
def fitted(fleet: pd.DataFrame, fast_params: RulParams) -> RulEstimator:
    """The fast ensemble fitted on the synthetic fleet."""
    return RulEstimator(fast_params).fit(fleet, seed=3)


@pytest.mark.parametrize("model", ["gbm", "cnn", "ensemble"])
def test_each_model_predicts_one_value_per_unit(
    fleet: pd.DataFrame, fast_params: RulParams, model: str
) -> None:
    """GBM, CNN and blend give one estimate in [0, cap] per unit and a CV RMSE."""
    est = RulEstimator(fast_params.with_(model=model)).fit(fleet, seed=0)
    out = est.predict(fleet)
    assert list(out.index) == sorted(fleet["unit"].unique())
    assert ((out >= 0) & (out <= fast_params.cap)).all()
    assert np.isfinite(est.validation_["rmse"])
    assert est.weight_ == {"gbm": 0.0, "cnn": 1.0}.get(model, est.weight_)


def test_estimate_tracks_wear(fitted: RulEstimator, fleet: pd.DataFrame) -> None:
    """Engines cut 5 cycles before failure get lower estimates than ones cut at 40%."""
    last = fleet.groupby("unit")["cycle"].transform("max")
    late = fitted.predict(fleet[fleet.cycle <= last - 5])
    early = fitted.predict(fleet[fleet.cycle <= 0.4 * last])
    assert (late < early).mean() >= 0.75
    assert late.mean() < 20


def test_trajectory_rows_equal_predictions_on_prefixes(
    fitted: RulEstimator, fleet: pd.DataFrame
) -> None:
    """The trajectory row at cycle t equals predicting on the record cut after t."""
    traj = fitted.predict_trajectory(fleet)
    for cut in (3, 17, 33):
        prefix = fleet[fleet.cycle <= cut]
        expected = fitted.predict_interval(prefix)
        got = traj[traj.cycle == cut].set_index("unit")[["estimate", "lower", "upper"]]
        pd.testing.assert_frame_equal(got, expected, check_names=False, atol=1e-5)


def test_interval_brackets_estimate_and_widens_with_confidence(
    fitted: RulEstimator, fleet: pd.DataFrame
) -> None:
    """lower ≤ estimate ≤ upper, lower ≥ 0; the 95% interval contains the 80% one."""
    narrow = fitted.predict_interval(fleet, alpha=0.2)
    wide = fitted.predict_interval(fleet, alpha=0.05)
    assert (narrow["lower"] <= narrow["estimate"]).all()
    assert (narrow["estimate"] <= narrow["upper"]).all()
    assert (narrow["lower"] >= 0).all()
    assert (wide["upper"] >= narrow["upper"]).all()


def test_same_seed_same_model(fleet: pd.DataFrame, fast_params: RulParams) -> None:
    """Two fits with the same seed give identical estimates."""
    a = RulEstimator(fast_params).fit(fleet, seed=5).predict(fleet)
    b = RulEstimator(fast_params).fit(fleet, seed=5).predict(fleet)
    pd.testing.assert_series_equal(a, b)


def test_pickle_round_trip(fitted: RulEstimator, fleet: pd.DataFrame) -> None:
    """A pickled and restored estimator predicts the same intervals."""
    restored = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(
        restored.predict_interval(fleet), fitted.predict_interval(fleet)
    )


def test_unfitted_estimator_refuses(fleet: pd.DataFrame) -> None:
    """predict and explain before fit raise NotFittedError."""
    est = RulEstimator()
    with pytest.raises(NotFittedError):
        est.predict(fleet)
    with pytest.raises(NotFittedError):
        est.explain(fleet, unit=1)


def test_too_few_engines_is_refused(
    fleet: pd.DataFrame, fast_params: RulParams
) -> None:
    """Fitting three engines with four folds raises a ValueError naming the count."""
    with pytest.raises(ValueError, match="got 3"):
        RulEstimator(fast_params).fit(fleet[fleet.unit <= 3])


def test_real_slice_trains_and_predicts(
    fd001_slice: pd.DataFrame, fast_params: RulParams
) -> None:
    """Twelve real FD001 engines: fitted, and their own last windows score near 0."""
    params = fast_params.with_(window=30, eval_min_cycle=30, steps=40)
    est = RulEstimator(params).fit(fd001_slice, seed=0)
    assert est.normalizer_.n_conditions == 1
    assert "s_1" not in est.normalizer_.sensors  # constant in FD001
    assert est.predict(fd001_slice).mean() < 40  # every engine is at failure
