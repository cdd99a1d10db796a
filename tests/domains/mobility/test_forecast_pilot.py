"""The mobility-forecast pilot's parts: split, targets, the wrapped ridge, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kiwerk.domains.mobility import forecast_pilot
from kiwerk.domains.mobility._forecast_pilot import (
    ADJACENCY,
    SPEED,
    TIME,
    chronological_folds,
    features,
    make_model,
    split_los_loop,
    target,
)
from kiwerk.errors import ContractViolation


@pytest.fixture(scope="module")
def frames(data_dir: Path) -> dict[str, pd.DataFrame]:
    """The pilot's two tables read from its headed copies (what the pool ingests)."""
    pilot = forecast_pilot()
    return {c.name: pd.read_csv(c.locate(data_dir)) for c in pilot.contract.datasets}


def test_split_is_chronological_with_history_rows(
    frames: dict[str, pd.DataFrame],
) -> None:
    """80/20 by time; the test part starts 11 rows before the cut; graph attached."""
    split = split_los_loop(frames, seed=0)
    assert len(split.train) == int(2016 * 0.8)
    assert len(split.test) == 2016 - len(split.train) + 11
    assert split.test[TIME].iloc[11] == split.train[TIME].iloc[-1] + 300
    assert split.train.attrs["adjacency"].shape == (207, 207)


def test_target_is_the_next_twelve_steps(frames: dict[str, pd.DataFrame]) -> None:
    """Row t's target holds rows t+1…t+12; the last rows have NaN past the end."""
    rows = frames[SPEED].iloc[:30]
    y = target(rows)
    speed = rows.drop(columns=[TIME]).to_numpy()
    assert y.shape == (30, 207, 12)
    np.testing.assert_allclose(y[4, :, 0], speed[5])
    np.testing.assert_allclose(y[4, :, 11], speed[16])
    assert np.isnan(y[-1]).all()
    assert np.isfinite(y[17]).all()


@pytest.mark.slow
def test_pilot_model_forecasts_below_tgcn(frames: dict[str, pd.DataFrame]) -> None:
    """The pilot's graph model behind fit/predict: 15-min RMSE below T-GCN's 5.13."""
    pilot = forecast_pilot()
    split = split_los_loop(frames, seed=0)
    model = make_model(0).fit(features(split.train), target(split.train))
    metrics = pilot.metrics(model, features(split.test), target(split.test))
    assert 4.5 < metrics["rmse_15min"] < 5.13
    assert metrics["rmse_15min"] < metrics["rmse_60min"]
    forecast = model.predict(features(split.test).iloc[:12])
    assert np.isnan(forecast[:11]).all()
    assert np.isfinite(forecast[11]).all()


@pytest.mark.slow
def test_gap_in_request_rows_is_named(frames: dict[str, pd.DataFrame]) -> None:
    """Rows that skip a 5-minute step are refused, naming the line and field."""
    split = split_los_loop(frames, seed=0)
    model = make_model(0, quick=True).fit(features(split.train), target(split.train))
    rows = features(split.test).drop(index=5)
    with pytest.raises(ContractViolation) as caught:
        model.predict(rows)
    assert caught.value.field == TIME
    assert caught.value.line == 6


def test_wrong_sensor_columns_are_refused(frames: dict[str, pd.DataFrame]) -> None:
    """A speed table without Los-loop's sensors is named as the culprit."""
    broken = {SPEED: frames[SPEED].iloc[:, :50], ADJACENCY: frames[ADJACENCY]}
    with pytest.raises(ContractViolation) as caught:
        split_los_loop(broken, seed=0)
    assert caught.value.source == SPEED


def test_folds_expand_forward_in_time() -> None:
    """Each CV fold fits on earlier rows and validates on the block after them."""
    folds = chronological_folds(pd.DataFrame({"a": range(90)}), None, 2, 0)
    assert [(f.max(), v.min(), v.max()) for f, v in folds] == [
        (29, 30, 59),
        (59, 60, 89),
    ]
