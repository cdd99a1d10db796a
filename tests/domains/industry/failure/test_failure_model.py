"""The per-mode failure model: fitting, threshold choice, types, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kiwerk.domains.industry.failure import (
    FailureModel,
    FailureParams,
    best_threshold,
    labels,
    physics_features,
    split_ai4i,
)
from kiwerk.errors import NotFittedError


@pytest.fixture(scope="module")
def fitted(ai4i_slice: pd.DataFrame) -> tuple[FailureModel, pd.DataFrame, pd.DataFrame]:
    """A quick model fitted on the training part of the AI4I slice, and the test."""
    split = split_ai4i({"ai4i2020": ai4i_slice}, seed=1)
    model = FailureModel(FailureParams.quick(), seed=1)
    model.fit(physics_features(split.train), labels(split.train))
    return model, physics_features(split.test), labels(split.test)


def test_mechanistic_modes_are_learned(
    fitted: tuple[FailureModel, pd.DataFrame, pd.DataFrame],
) -> None:
    """Heat, power and overstrain failures are ranked almost perfectly."""
    from sklearn.metrics import roc_auc_score

    model, X, y = fitted
    modes = model.mode_proba(X)
    for mode in ("HDF", "PWF", "OSF"):
        assert roc_auc_score(y[mode], modes[mode]) > 0.97, mode


def test_decisions_and_types_agree(
    fitted: tuple[FailureModel, pd.DataFrame, pd.DataFrame],
) -> None:
    """A row is typed with a mode exactly when it is predicted to fail."""
    model, X, _ = fitted
    decision, kinds = model.predict(X), model.predict_type(X)
    assert set(kinds) <= {"none", "TWF", "HDF", "PWF", "OSF"}
    assert np.array_equal(decision == 1, kinds != "none")
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert 0.01 <= model.threshold_ <= 0.99


def test_threshold_comes_from_training_data_only(ai4i_slice: pd.DataFrame) -> None:
    """The tuned threshold depends on the training rows, never on the test rows."""
    split = split_ai4i({"ai4i2020": ai4i_slice}, seed=2)
    X, y = physics_features(split.train), labels(split.train)
    a = FailureModel(FailureParams.quick(), seed=2).fit(X, y)
    b = FailureModel(FailureParams.quick(), seed=2).fit(X, y)
    assert a.threshold_ == b.threshold_
    np.testing.assert_array_equal(
        a.predict_proba(physics_features(split.test)),
        b.predict_proba(physics_features(split.test)),
    )


def test_best_threshold_takes_the_middle_of_the_plateau() -> None:
    """Among equally good thresholds the middle one is chosen."""
    y = np.array([0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    # F1 is 1 for every threshold in (0.3, 0.8]: 0.31 … 0.80, middle 0.56
    assert best_threshold(y, scores) == pytest.approx(0.56)


def test_unfitted_and_mismatched_inputs_are_refused(
    fitted: tuple[FailureModel, pd.DataFrame, pd.DataFrame],
) -> None:
    """Predicting before fit, or with other columns, raises a clear error."""
    model, X, _ = fitted
    with pytest.raises(NotFittedError, match="call fit first"):
        FailureModel().predict(X)
    with pytest.raises(ValueError, match="Expected features"):
        model.predict(X.drop(columns=["power_W"]))


def test_a_mode_without_examples_cannot_be_learned(ai4i_slice: pd.DataFrame) -> None:
    """Training rows without any heat failure give a clear error."""
    rows = ai4i_slice[ai4i_slice["HDF"] == 0]
    with pytest.raises(ValueError, match="no HDF"):
        FailureModel(FailureParams.quick()).fit(physics_features(rows), labels(rows))


@pytest.mark.parametrize(
    "kwargs",
    [{"n_estimators": 0}, {"learning_rate": 0.0}, {"threshold_folds": 1}],
    ids=["no-rounds", "zero-rate", "one-fold"],
)
def test_params_are_checked(kwargs: dict[str, float]) -> None:
    """Impossible hyper-parameters are refused when the params are built."""
    with pytest.raises(ValueError, match="Expected"):
        FailureParams(**kwargs)  # type: ignore[arg-type]


def test_predict_table_matches_the_single_methods(
    fitted: tuple[FailureModel, pd.DataFrame, pd.DataFrame],
) -> None:
    """The one-pass table equals predict_proba, predict, predict_type, mode_proba."""
    model, X, _ = fitted
    table = model.predict_table(X)
    np.testing.assert_array_equal(
        table["failure_probability"], model.predict_proba(X)[:, 1]
    )
    np.testing.assert_array_equal(table["failure"], model.predict(X))
    np.testing.assert_array_equal(table["failure_type"], model.predict_type(X))
    modes = model.mode_proba(X).add_prefix("p_")
    np.testing.assert_array_equal(table[list(modes.columns)], modes)
    assert (table["failure"] == 1).any()
