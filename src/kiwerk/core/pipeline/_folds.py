"""Ready-made cross-validation protocols a pilot can name as its ``cv`` part."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kiwerk.core.pipeline._spec import Folds


def stratified_folds(X: pd.DataFrame, y: Any, folds: int, seed: int) -> Folds:
    """Stratified k-fold on a label (a Series, or a frame's first column).

    Examples
    --------
    >>> X = pd.DataFrame({"a": range(10)})
    >>> y = pd.Series([0, 1] * 5)
    >>> [len(v) for _, v in stratified_folds(X, y, 5, seed=0)]
    [2, 2, 2, 2, 2]
    """
    from sklearn.model_selection import StratifiedKFold

    labels = y.iloc[:, 0] if isinstance(y, pd.DataFrame) else pd.Series(y)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(a, b) for a, b in splitter.split(np.zeros(len(X)), labels.to_numpy())]


def group_folds(column: str) -> Any:
    """Folds that keep each value of ``X[column]`` (an engine, a patient) whole.

    Examples
    --------
    >>> X = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3]})
    >>> folds = group_folds("unit")(X, None, 3, 0)
    >>> sorted(sorted(set(X["unit"].iloc[v])) for _, v in folds)
    [[1], [2], [3]]
    """

    def folds_by_group(X: pd.DataFrame, y: Any, folds: int, seed: int) -> Folds:
        del y
        groups = X[column].to_numpy()
        unique = np.unique(groups)
        order = np.random.default_rng(seed).permutation(unique)
        chunks = np.array_split(order, folds)
        out: Folds = []
        for chunk in chunks:
            held = np.isin(groups, chunk)
            out.append((np.flatnonzero(~held), np.flatnonzero(held)))
        return out

    return folds_by_group
