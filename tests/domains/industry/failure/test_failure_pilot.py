"""The AI4I pilot's parts: protocol split, metrics, KPIs, explanations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kiwerk.domains.industry.failure import (
    FailureModel,
    MaintenanceCosts,
    explain_failure,
    failure_kpis,
    failure_metrics,
    failure_pilot,
    labels,
    physics_features,
    predict_failure,
    split_ai4i,
)


@pytest.fixture(scope="module")
def trained(
    ai4i_slice: pd.DataFrame,
) -> tuple[FailureModel, pd.DataFrame, pd.DataFrame]:
    """The pilot's quick model fitted on the slice's training part, and the test."""
    split = split_ai4i({"ai4i2020": ai4i_slice}, seed=4)
    model = failure_pilot().model_factory(4, quick=True)
    assert isinstance(model, FailureModel)
    model.fit(physics_features(split.train), labels(split.train))
    return model, physics_features(split.test), labels(split.test)


def test_split_is_stratified_disjoint_and_seeded(ai4i: pd.DataFrame) -> None:
    """20 % test rows, same failure share, no shared row, same rows per seed."""
    a = split_ai4i({"ai4i2020": ai4i}, seed=42)
    b = split_ai4i({"ai4i2020": ai4i}, seed=42)
    assert len(a.test) == 2000
    assert a.test["Machine failure"].sum() == 68
    assert not set(a.train["UDI"]) & set(a.test["UDI"])
    assert a.test["UDI"].tolist() == b.test["UDI"].tolist()
    other = split_ai4i({"ai4i2020": ai4i}, seed=43)
    assert a.test["UDI"].tolist() != other.test["UDI"].tolist()


def test_metrics_beat_a_broken_model(
    trained: tuple[FailureModel, pd.DataFrame, pd.DataFrame],
) -> None:
    """Even the quick model finds most failures with few false alarms."""
    model, X, y = trained
    metrics = failure_metrics(model, X, y)
    assert metrics["f1"] > 0.75
    assert metrics["roc_auc"] > 0.9
    assert metrics["type_accuracy"] > 0.9


def test_kpis_add_up(trained: tuple[FailureModel, pd.DataFrame, pd.DataFrame]) -> None:
    """Caught + missed = failures; costs follow the declared prices."""
    model, X, y = trained
    costs = MaintenanceCosts(unplanned_failure=1000.0, inspection=10.0)
    k = failure_kpis(model, X, y, costs)
    assert k["failures_caught"] + k["failures_missed"] == y["Machine failure"].sum()
    alarms = model.predict(X).sum()
    assert k["cost_predictive_eur"] == k["failures_missed"] * 1000 + alarms * 10
    assert 0 < k["cost_saving_share"] < 1


def test_explanations_point_at_the_physics(
    trained: tuple[FailureModel, pd.DataFrame, pd.DataFrame],
) -> None:
    """Rows predicted as power failures are explained mainly by power or its parts."""
    model, X, _ = trained
    table = predict_failure(model, X)
    power_rows = np.flatnonzero(table["failure_type"].to_numpy() == "PWF")
    assert power_rows.size > 0
    explanation = explain_failure(model, X.iloc[power_rows])
    assert set(explanation.labels or ()) == {"PWF"}
    for i in range(explanation.rows):
        top = explanation.top(i, 1)[0][0]
        assert top in {"power_W", "torque_Nm", "speed_rpm"}, top


def test_explanations_add_up_to_the_mode_margin(
    trained: tuple[FailureModel, pd.DataFrame, pd.DataFrame],
) -> None:
    """Base plus contributions equals the log-odds of each row's dominant mode."""
    model, X, _ = trained
    rows = X.head(50)
    e = explain_failure(model, rows)
    modes = model.mode_proba(rows)
    for i, mode in enumerate(e.labels or ()):
        margin = model.models_[mode].predict(rows.iloc[[i]], raw_score=True)[0]
        total = e.base_values[i] + e.contributions.iloc[i].sum()
        assert total == pytest.approx(margin, abs=1e-6)
        assert modes.iloc[i].idxmax() == mode


def test_pilot_declares_its_contract() -> None:
    """The contract names the pool dataset, its request columns and the rule."""
    pilot = failure_pilot()
    assert pilot.dataset_names == ["ai4i2020"]
    inputs = [c.name for c in pilot.contract.inputs]
    assert inputs[0] == "Type"
    assert "Machine failure" in pilot.contract.ignored
    spec = pilot.contract.datasets[0].spec
    assert spec is not None
    assert "Product ID" in spec.personal
    assert pilot.promotion.metric == "f1"
