"""Fixtures of the edge tests.

- ``ai4i_numeric``: the AI4I slice's five process columns under plain names,
  and the failure label (real data; LightGBM refuses brackets in names).
- ``lgbm_onnx``: a LightGBM classifier fitted on it and exported (path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kiwerk.core.models.onnx import export_onnx

COLUMNS = {
    "Air temperature [K]": "air",
    "Process temperature [K]": "process",
    "Rotational speed [rpm]": "speed",
    "Torque [Nm]": "torque",
    "Tool wear [min]": "wear",
}


@pytest.fixture(scope="session")
def ai4i_numeric(ai4i_slice: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """(features, label) of the AI4I slice with plain column names."""
    X = ai4i_slice[list(COLUMNS)].rename(columns=COLUMNS).astype(float)
    return X, ai4i_slice["Machine failure"].astype(int)


@pytest.fixture(scope="session")
def lgbm_onnx(
    ai4i_numeric: tuple[pd.DataFrame, pd.Series],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Any]:
    """(ONNX path, fitted model) of a small LightGBM failure classifier."""
    import lightgbm as lgb

    X, y = ai4i_numeric
    model = lgb.LGBMClassifier(
        n_estimators=40, num_leaves=15, max_bin=1023, verbose=-1, n_jobs=1
    ).fit(X, y)
    path = tmp_path_factory.mktemp("edge") / "lgbm.onnx"
    export_onnx(model).save(path)
    return path, model
