"""ONNX export of the failure model: parity with the native model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kiwerk.core.edge import EdgeRunner
from kiwerk.domains.industry.failure import (
    FailureModel,
    FailureParams,
    labels,
    physics_features,
    predict_failure,
    split_ai4i,
)


def _fit(rows: pd.DataFrame, seed: int) -> tuple[FailureModel, pd.DataFrame]:
    split = split_ai4i({"ai4i2020": rows}, seed=seed)
    model = FailureModel(FailureParams.quick(), seed=seed)
    model.fit(physics_features(split.train), labels(split.train))
    return model, split.test


def _assert_parity(model: FailureModel, test: pd.DataFrame, path: Path) -> None:
    model.to_onnx().save(path)
    runner = EdgeRunner(path)
    records = [
        {str(k): v for k, v in r.items()}
        for r in test.drop(columns=["Machine failure"]).to_dict(orient="records")
    ]
    edge = pd.DataFrame(runner.score(records))
    native = predict_failure(model, physics_features(test)).reset_index(drop=True)
    assert list(edge.columns) == list(native.columns)
    for column in ("failure_probability", "p_TWF", "p_HDF", "p_PWF", "p_OSF"):
        np.testing.assert_allclose(edge[column], native[column], rtol=0, atol=1e-5)
    near = (native["failure_probability"] - model.threshold_).abs() < 1e-5
    assert (edge["failure"] == native["failure"])[~near].all()
    assert (edge["failure_type"] == native["failure_type"])[~near].all()


@pytest.fixture(scope="module")
def fitted(ai4i_slice: pd.DataFrame) -> tuple[FailureModel, pd.DataFrame]:
    """A quick model on the training part of the AI4I slice, and its test rows."""
    return _fit(ai4i_slice, seed=3)


def test_onnx_matches_native_on_slice(
    fitted: tuple[FailureModel, pd.DataFrame], tmp_path: Path
) -> None:
    """ONNX (raw rows in, features in-graph) agrees with native to 1e-5."""
    model, test = fitted
    _assert_parity(model, test, tmp_path / "failure.onnx")


def test_float32_thresholds_would_flip_splits(
    fitted: tuple[FailureModel, pd.DataFrame],
) -> None:
    """The double-threshold rewrite matters: float32 features change some trees."""
    model, test = fitted
    X = physics_features(test)
    rounded = X.astype(np.float32).astype(np.float64)
    native = model.mode_proba(X).to_numpy()
    single = model.mode_proba(rounded).to_numpy()
    assert np.abs(native - single).max() > 1e-5


def test_spec_names_raw_inputs(
    fitted: tuple[FailureModel, pd.DataFrame], tmp_path: Path
) -> None:
    """The spec beside the file lists raw request columns and the threshold."""
    import json

    model, _ = fitted
    side = model.to_onnx().save(tmp_path / "m.onnx")
    spec = json.loads(side.read_text(encoding="utf-8"))
    assert spec["inputs"][0]["categories"] == {"Type": ["L", "M", "H"]}
    assert "Torque [Nm]" in spec["inputs"][1]["columns"]
    assert spec["threshold"] == model.threshold_
    assert spec["feature_step"].startswith("in-graph")


@pytest.mark.slow
def test_onnx_matches_native_on_full_test_split(
    ai4i: pd.DataFrame, tmp_path: Path
) -> None:
    """Parity on the whole official AI4I test split (2,000 rows), seed 0."""
    model, test = _fit(ai4i, seed=0)
    assert len(test) == 2000
    _assert_parity(model, test, tmp_path / "failure.onnx")
