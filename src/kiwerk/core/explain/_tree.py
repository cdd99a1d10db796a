"""SHAP explanations for tree ensembles (LightGBM, XGBoost, scikit-learn trees)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kiwerk.core.explain._explanation import Explanation


def tree_shap(model: Any, features: pd.DataFrame, *, output: str) -> Explanation:
    """Exact TreeSHAP contributions of a fitted tree model on ``features``.

    For binary classifiers the contributions are those of the positive class in
    the model's raw (log-odds) space, so they add up exactly to its margin.

    Parameters
    ----------
    model
        A fitted tree model that ``shap.TreeExplainer`` understands.
    features
        The model inputs to explain, one row per prediction.
    output
        A name for the output space, e.g. ``"log-odds of failure"``.

    Examples
    --------
    >>> import lightgbm as lgb
    >>> X = pd.DataFrame({"a": np.arange(40.0), "b": np.zeros(40)})
    >>> y = (X["a"] > 20).astype(int)
    >>> m = lgb.LGBMClassifier(n_estimators=5, min_child_samples=2, verbose=-1)
    >>> e = tree_shap(m.fit(X, y), X, output="log-odds")
    >>> e.importance().index[0]
    'a'
    """
    import shap

    explainer = shap.TreeExplainer(model)
    # Calling the explainer (rather than ``shap_values``) returns one array in
    # the raw margin space and no format warning for LightGBM classifiers.
    result = explainer(features)
    array = np.asarray(result.values, dtype=float)
    base = np.asarray(result.base_values, dtype=float)
    if array.ndim == 3:  # (rows, features, classes): keep the positive class
        array = array[:, :, -1]
        base = base[..., -1]
    base_values = np.broadcast_to(np.ravel(base), (len(features),)).astype(float)
    contributions = pd.DataFrame(
        array, columns=list(features.columns), index=features.index
    )
    return Explanation(
        contributions=contributions, base_values=base_values, output=output
    )
