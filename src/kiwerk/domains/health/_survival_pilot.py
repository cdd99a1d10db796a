"""The ``health-survival`` pilot: recurrence-free survival on GBSG2 (shared pipeline).

Protocol: a held-out 20 % test split stratified on the event, the pilot's
folds stratified on the event for CV, a random survival forest (Cox is the
reference model in ``benchmarks/survival.py``). Metrics: Harrell's and Uno's
C-index and the integrated Brier score; KPI: the share of test patients the
model flags as high risk (predicted 5-year recurrence-free survival < 50 %)
and how many of them recurred within 5 years. Explanations are the per-patient
occlusion drivers of :func:`risk_drivers`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split
from sksurv.datasets import load_gbsg2
from sksurv.metrics import concordance_index_censored, concordance_index_ipcw
from sksurv.util import Surv

from kiwerk.core.explain import Explanation
from kiwerk.core.models import PromotionRule
from kiwerk.core.pipeline import (
    DataContract,
    DatasetContract,
    DomainPipeline,
    Folds,
    InputColumn,
    Split,
)
from kiwerk.domains.health._survival import SurvivalParams, make_survival_model
from kiwerk.domains.health._survival_explain import risk_drivers

NAME = "health-survival"
DATASET = "gbsg2"
ORG = "health"
FIVE_YEARS = 5 * 365.25
NUMERIC = ("age", "estrec", "pnodes", "progrec", "tsize")
FEATURES = (*NUMERIC, "horTh=yes", "menostat=Post", "tgrade=II", "tgrade=III")


def _locate(data: Path) -> Path:  # noqa: ARG001 - the data ships with scikit-survival
    """Write scikit-survival's bundled GBSG2 table once as Parquet for the pool.

    Parquet, not CSV: the file carries its column types, so the pool keeps
    ``horTh`` as the strings ``no`` / ``yes`` (a CSV sniffer reads them as
    booleans) and rows read back from the pool are valid requests.
    """
    target = Path(tempfile.gettempdir()) / "kiwerk-health" / "gbsg2.parquet"
    if not target.is_file():
        X, y = load_gbsg2()
        frame = X.astype(dict.fromkeys(("horTh", "menostat", "tgrade"), str))
        frame["event"] = y["cens"].astype(int)
        frame["time"] = y["time"]
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_suffix(".tmp")
        frame.to_parquet(staged, index=False)
        staged.replace(target)
    return target


def survival_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns plus fixed indicator columns for the three categoricals.

    Examples
    --------
    >>> row = pd.DataFrame([{"age": 50, "estrec": 1, "pnodes": 3, "progrec": 2,
    ...     "tsize": 20, "horTh": "yes", "menostat": "Pre", "tgrade": "III"}])
    >>> survival_features(row).iloc[0].tolist()[-4:]
    [1.0, 0.0, 0.0, 1.0]
    """
    out = frame[list(NUMERIC)].astype(float).copy()
    out["horTh=yes"] = (frame["horTh"].astype(str) == "yes").astype(float)
    out["menostat=Post"] = (frame["menostat"].astype(str) == "Post").astype(float)
    out["tgrade=II"] = (frame["tgrade"].astype(str) == "II").astype(float)
    out["tgrade=III"] = (frame["tgrade"].astype(str) == "III").astype(float)
    return out


def survival_target(frame: pd.DataFrame) -> Any:
    """The structured (event, time) array scikit-survival expects."""
    return Surv.from_arrays(frame["event"].astype(bool), frame["time"].astype(float))


def split_gbsg2(frames: Mapping[str, pd.DataFrame], seed: int) -> Split:
    """Held-out 20 % test split, stratified on the event."""
    rows = frames[DATASET].reset_index(drop=True)
    train, test = train_test_split(
        rows, test_size=0.2, stratify=rows["event"], random_state=seed
    )
    return Split(train=train.reset_index(drop=True), test=test.reset_index(drop=True))


def event_folds(X: pd.DataFrame, y: Any, folds: int, seed: int) -> Folds:
    """Stratified k-fold on the event indicator."""
    event = np.asarray(y["event"], dtype=int)
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return [(a, b) for a, b in split.split(X, event)]


def survival_metrics(model: Any, X: pd.DataFrame, y: Any) -> dict[str, float]:
    """Harrell's and Uno's C-index (τ = 5 years) on one split."""
    risk = model.predict(X)
    harrell = concordance_index_censored(y["event"], y["time"], risk)[0]
    train_y = model.train_y_
    uno = concordance_index_ipcw(train_y, y, risk, tau=FIVE_YEARS)[0]
    return {"harrell_c": float(harrell), "uno_c": float(uno)}


def survival_kpis(model: Any, X: pd.DataFrame, y: Any) -> dict[str, float]:
    """High-risk share (5-year survival < 50 %) and recurrence among them."""
    surv = np.array([fn(FIVE_YEARS) for fn in model.predict_survival_function(X)])
    high = surv < 0.5
    recurred = np.asarray(y["event"], bool) & (np.asarray(y["time"]) <= FIVE_YEARS)
    return {
        "high_risk_share": float(high.mean()),
        "recurred_within_5y_high_risk": float(recurred[high].mean())
        if high.any()
        else 0.0,
        "recurred_within_5y_others": float(recurred[~high].mean())
        if (~high).any()
        else 0.0,
    }


def explain_survival(model: Any, X: pd.DataFrame) -> Explanation:
    """Per-patient occlusion effects of every feature on the predicted risk."""
    background = model.train_X_
    rows = []
    for i in range(len(X)):
        drivers = dict(risk_drivers(model, background, X.iloc[[i]], top=X.shape[1]))
        rows.append([drivers[c] for c in X.columns])
    base = np.asarray(model.predict(X), float) - np.asarray(rows).sum(axis=1)
    return Explanation(
        contributions=pd.DataFrame(rows, index=X.index, columns=X.columns),
        base_values=base,
        output="risk score (expected events), occlusion to training medians",
    )


def predict_survival(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    """Risk score and recurrence-free survival at 1, 3 and 5 years."""
    fns = model.predict_survival_function(X)
    table = {"risk": np.asarray(model.predict(X), float)}
    for years in (1, 3, 5):
        table[f"survival_{years}y"] = np.array([fn(years * 365.25) for fn in fns])
    return pd.DataFrame(table, index=X.index)


class _Forest:
    """The random survival forest, remembering its training data for Uno's C."""

    def __init__(self, seed: int, quick: bool) -> None:
        params = SurvivalParams(n_trees=20 if quick else 200)
        self.params = params
        self.forest = make_survival_model("rsf", params, seed=seed)

    def fit(self, X: pd.DataFrame, y: Any) -> _Forest:
        self.forest.fit(X, y)
        self.train_X_, self.train_y_ = X, y
        return self

    def predict(self, X: pd.DataFrame) -> Any:
        return self.forest.predict(X)

    def predict_survival_function(self, X: pd.DataFrame) -> Any:
        return self.forest.predict_survival_function(X)


def make_survival_forest(seed: int, *, quick: bool = False) -> _Forest:
    """The pilot's model factory (20 trees when ``quick``)."""
    return _Forest(seed, quick)


def survival_pilot(spec: Any = None) -> DomainPipeline:
    """Recurrence-free survival of node-positive breast cancer (GBSG2).

    Examples
    --------
    >>> survival_pilot().name
    'health-survival'
    """
    contract = DataContract(
        datasets=(
            DatasetContract(
                DATASET, locate=_locate, spec=spec, description="GBSG2 (686 patients)"
            ),
        ),
        org=ORG,
        inputs=(
            *(InputColumn(c) for c in NUMERIC),
            InputColumn("horTh", "category", ("no", "yes")),
            InputColumn("menostat", "category", ("Pre", "Post")),
            InputColumn("tgrade", "category", ("I", "II", "III")),
        ),
        ignored=("event", "time"),
    )
    return DomainPipeline(
        name=NAME,
        title="Recurrence-free survival risk (GBSG2) with per-patient drivers",
        contract=contract,
        split=split_gbsg2,
        features=survival_features,
        target=survival_target,
        model_factory=make_survival_forest,
        metrics=survival_metrics,
        kpis=survival_kpis,
        explainer=explain_survival,
        predict=predict_survival,
        cv=event_folds,
        promotion=PromotionRule("harrell_c", 0.65),
    )
