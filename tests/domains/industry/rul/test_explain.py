"""Explanations: integrated gradients for the CNN, SHAP for the trees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from kiwerk.domains.industry.rul import RulEstimator, RulParams, integrated_gradients
from kiwerk.errors import NotFound


def test_integrated_gradients_is_exact_for_a_linear_model() -> None:
    """For f(x) = Σ w·x the attributions are w·(x − baseline) cell by cell."""
    w = torch.tensor([[1.0, -2.0], [0.5, 3.0]])
    x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    base = np.zeros_like(x)
    attr = integrated_gradients(lambda t: (t * w).sum(dim=(1, 2)), x, base, steps=4)
    np.testing.assert_allclose(attr, w.numpy() * x, rtol=1e-6)


def test_integrated_gradients_refuses_shape_mismatch() -> None:
    """A baseline of another shape raises a ValueError."""
    with pytest.raises(ValueError, match="shape"):
        integrated_gradients(
            lambda t: t.sum(), np.zeros((2, 2), np.float32), np.zeros(2, np.float32)
        )


@pytest.mark.parametrize("model", ["cnn", "gbm", "ensemble"])
def test_contributions_add_up_to_the_estimate(
    fleet: pd.DataFrame, fast_params: RulParams, model: str
) -> None:
    """base + Σ attributions ≈ estimate, for each model kind."""
    est = RulEstimator(fast_params.with_(model=model)).fit(fleet, seed=0)
    expl = est.explain(fleet[fleet.cycle <= 35], unit=2)
    total = expl.base + expl.sensor_cycle.to_numpy().sum() + expl.features.sum()
    assert expl.estimate == pytest.approx(total, abs=0.5)
    assert expl.sensor_cycle.empty == (model == "gbm")
    assert expl.features.empty == (model == "cnn")


def test_drifting_sensors_dominate(fleet: pd.DataFrame, fast_params: RulParams) -> None:
    """Near failure, the worn sensors s_2 / s_3 (or the cycle count) carry the push."""
    est = RulEstimator(fast_params.with_(model="cnn", steps=150)).fit(fleet, seed=0)
    expl = est.explain(fleet, unit=4)
    channels = 2 * (1 + len(fast_params.slow_smoothing)) + 1
    assert expl.sensor_cycle.shape == (fast_params.window, channels)
    assert list(expl.sensor_cycle.index)[-1] == int(fleet[fleet.unit == 4].cycle.max())
    assert expl.by_sensor().index[0] in {"s_2", "s_3", "cycle"}
    assert expl.by_sensor().sum() < 0  # pushed down from the healthy reference


def test_unknown_unit_is_not_found(fleet: pd.DataFrame, fast_params: RulParams) -> None:
    """Explaining a unit absent from the frame raises NotFound naming it."""
    est = RulEstimator(fast_params.with_(model="gbm")).fit(fleet, seed=0)
    with pytest.raises(NotFound, match="unit 99"):
        est.explain(fleet, unit=99)
