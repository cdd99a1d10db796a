"""Fixtures for the core pipeline tests.

- ``toy_rows``: a small generated classification table (600 rows).
- ``toy_pilot``: a complete pilot on ``toy_rows`` built from core parts only,
  so the core tests do not depend on any domain.
- ``toy_source``: the rows as a data source (dataset ``toy``).
- ``broker``: a real mosquitto on a free loopback port (skipped without it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kiwerk.core.explain import Explanation, tree_shap
from kiwerk.core.models import PromotionRule
from kiwerk.core.pipeline import (
    DataContract,
    DatasetContract,
    DomainPipeline,
    FrameSource,
    InputColumn,
    Split,
    stratified_folds,
)
from kiwerk.domains.industry.stream import LocalBroker


def _rows(seed: int = 0, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    kind = rng.choice(["x", "y"], size=n)
    score = 2 * a + b + (kind == "x") + rng.normal(scale=0.5, size=n)
    return pd.DataFrame(
        {"id": np.arange(n), "a": a, "b": b, "kind": kind, "label": (score > 0.5)}
    ).astype({"label": int})


def _features(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": frame["a"].astype(float),
            "b": frame["b"].astype(float),
            "kind_x": (frame["kind"] == "x").astype(float),
        },
        index=frame.index,
    )


def _split(frames: Any, seed: int) -> Split:
    rows = frames["toy"].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cut = int(len(rows) * 0.75)
    return Split(train=rows.iloc[:cut], test=rows.iloc[cut:].reset_index(drop=True))


def _model(seed: int, *, quick: bool = False) -> Any:
    import lightgbm as lgb

    return lgb.LGBMClassifier(
        n_estimators=10 if quick else 30,
        num_leaves=7,
        random_state=seed,
        subsample=0.8,
        subsample_freq=1,
        verbose=-1,
        n_jobs=1,
        deterministic=True,
        force_row_wise=True,
    )


def _metrics(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    return {
        "accuracy": float(accuracy_score(y, model.predict(X))),
        "roc_auc": float(roc_auc_score(y, model.predict_proba(X)[:, 1])),
    }


def _kpis(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    return {"alarms": float(model.predict(X).sum()), "positives": float(y.sum())}


def _explain(model: Any, X: pd.DataFrame) -> Explanation:
    return tree_shap(model, X, output="log-odds")


def _predict(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"probability": model.predict_proba(X)[:, 1], "label": model.predict(X)},
        index=X.index,
    )


def make_toy_pilot(name: str = "toy-pilot") -> DomainPipeline:
    """A small but complete pilot on generated rows."""
    return DomainPipeline(
        name=name,
        title="toy classification",
        contract=DataContract(
            datasets=(DatasetContract("toy", locate=lambda d: Path(d) / "toy.csv"),),
            org="toy-org",
            inputs=(
                InputColumn("a"),
                InputColumn("b"),
                InputColumn("kind", "category", ("x", "y")),
            ),
            ignored=("id", "label"),
        ),
        split=_split,
        features=_features,
        target=lambda frame: frame["label"].astype(int),
        model_factory=_model,
        metrics=_metrics,
        kpis=_kpis,
        explainer=_explain,
        predict=_predict,
        cv=stratified_folds,
        promotion=PromotionRule("accuracy", 0.7),
        cv_folds=3,
    )


@pytest.fixture(scope="session")
def toy_rows() -> pd.DataFrame:
    """600 generated rows: two numbers, a category and a binary label."""
    return _rows()


@pytest.fixture(scope="session")
def toy_pilot() -> DomainPipeline:
    """A complete pilot on ``toy_rows`` built from core parts only."""
    return make_toy_pilot()


@pytest.fixture
def toy_source(toy_rows: pd.DataFrame) -> FrameSource:
    """``toy_rows`` as the data source's dataset ``toy``."""
    return FrameSource({"toy": toy_rows})


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A running mosquitto on 127.0.0.1:<free port>, state under tmp_path."""
    import shutil

    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto not installed (scripts/system-packages installs it)")
    b = LocalBroker(tmp_path / "broker").start()
    yield b
    b.stop()
