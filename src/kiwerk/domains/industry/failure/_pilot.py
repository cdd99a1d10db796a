"""The AI4I 2020 failure-prediction pilot, as parts for the shared pipeline.

Protocol: a stratified 80/20 held-out test split with the run's seed; 5-fold
cross-validation on the training part (mean ± sd); threshold and model choice
inside ``fit`` on training data only. Metrics: binary F1 and ROC-AUC of
``Machine failure`` (plus precision, recall, average precision and the share
of caught failures whose type is named right).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kiwerk.core.data import builtin_contract
from kiwerk.core.explain import Explanation, tree_shap
from kiwerk.core.models import PromotionRule
from kiwerk.core.pipeline import (
    Choice,
    DataContract,
    DatasetContract,
    DomainPipeline,
    InputColumn,
    IntRange,
    SearchSpace,
    Split,
    Uniform,
    stratified_folds,
)
from kiwerk.domains.industry.failure._features import (
    PROCESS_COLUMNS,
    TYPES,
    physics_features,
)
from kiwerk.domains.industry.failure._model import (
    LABELS,
    MODES,
    TARGET,
    FailureModel,
    FailureParams,
)

NAME = "industry-failure"
DATASET = "ai4i2020"
ORG = "industry"
TEST_SHARE = 0.2


@dataclass(frozen=True)
class MaintenanceCosts:
    """Costs (EUR) behind the pilot's KPIs.

    Parameters
    ----------
    unplanned_failure
        An unpredicted breakdown: repair, scrap and downtime.
    inspection
        A planned stop to inspect the machine after an alarm.
    """

    unplanned_failure: float = 10_000.0
    inspection: float = 500.0


def split_ai4i(frames: Mapping[str, pd.DataFrame], seed: int) -> Split:
    """Stratified held-out test split (20 %) of the AI4I rows.

    Examples
    --------
    >>> rows = pd.DataFrame({TARGET: [0] * 40 + [1] * 10, "x": range(50)})
    >>> s = split_ai4i({DATASET: rows}, seed=0)
    >>> len(s.train), len(s.test), int(s.test[TARGET].sum())
    (40, 10, 2)
    """
    from sklearn.model_selection import train_test_split

    rows = frames[DATASET].reset_index(drop=True)
    train, test = train_test_split(
        rows, test_size=TEST_SHARE, stratify=rows[TARGET], random_state=seed
    )
    return Split(train=train.reset_index(drop=True), test=test.reset_index(drop=True))


def labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The label frame: ``Machine failure`` and the five failure modes."""
    return frame[list(LABELS)].astype(int)


def make_model(seed: int, *, quick: bool = False) -> FailureModel:
    """The pilot's model factory."""
    return FailureModel(FailureParams.quick() if quick else FailureParams(), seed=seed)


def _tuned_model(config: Mapping[str, Any], seed: int, quick: bool) -> FailureModel:
    params = FailureParams(**config)
    if quick:
        quick_params = FailureParams.quick()
        params = replace(
            params,
            n_estimators=min(params.n_estimators, quick_params.n_estimators),
            wear_n_estimators=quick_params.wear_n_estimators,
            threshold_folds=quick_params.threshold_folds,
        )
    return FailureModel(params, seed=seed)


def failure_search() -> SearchSpace:
    """The search space of the failure model's boosted trees (``kiwerk tune``).

    Ranked on validation F1, the metric that gates promotion; ``quick`` caps
    the trees at the quick budget.

    Examples
    --------
    >>> space = failure_search()
    >>> space.factory(space.sample(1, seed=0)[0], 0, True).params.n_estimators <= 60
    True
    """
    return SearchSpace(
        {
            "n_estimators": IntRange(100, 500),
            "learning_rate": Uniform(0.02, 0.2, log=True),
            "num_leaves": Choice((7, 15, 31)),
            "min_child_samples": Choice((2, 3, 5, 10)),
        },
        factory=_tuned_model,
        metric="f1",
    )


def failure_metrics(
    model: FailureModel, X: pd.DataFrame, y: pd.DataFrame
) -> dict[str, float]:
    """F1, ROC-AUC, precision, recall, average precision and type accuracy."""
    from sklearn.metrics import (
        average_precision_score,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    truth = y[TARGET].to_numpy(dtype=int)
    risk = model.predict_proba(X)[:, 1]
    decision = (risk >= model.threshold_).astype(int)
    kinds = model.predict_type(X)
    caught = (decision == 1) & (y[list(MODES)].to_numpy().sum(axis=1) > 0)
    right = [y[str(kinds[i])].iloc[i] == 1 for i in np.flatnonzero(caught)]
    return {
        "f1": float(f1_score(truth, decision, zero_division=0.0)),
        "roc_auc": float(roc_auc_score(truth, risk)),
        "precision": float(precision_score(truth, decision, zero_division=0.0)),
        "recall": float(recall_score(truth, decision, zero_division=0.0)),
        "average_precision": float(average_precision_score(truth, risk)),
        "type_accuracy": float(np.mean(right)) if right else 0.0,
        "threshold": float(model.threshold_),
    }


def failure_kpis(
    model: FailureModel,
    X: pd.DataFrame,
    y: pd.DataFrame,
    costs: MaintenanceCosts | None = None,
) -> dict[str, float]:
    """Failures caught, false alarms and cost against running to failure."""
    costs = costs or MaintenanceCosts()
    truth = y[TARGET].to_numpy(dtype=int)
    alarm = model.predict(X)
    caught = int(((alarm == 1) & (truth == 1)).sum())
    missed = int(truth.sum()) - caught
    false_alarms = int(((alarm == 1) & (truth == 0)).sum())
    predictive = missed * costs.unplanned_failure + int(alarm.sum()) * costs.inspection
    run_to_failure = int(truth.sum()) * costs.unplanned_failure
    return {
        "failures_caught": float(caught),
        "failures_missed": float(missed),
        "false_alarms": float(false_alarms),
        "cost_predictive_eur": float(predictive),
        "cost_run_to_failure_eur": float(run_to_failure),
        "cost_saving_share": 1.0 - predictive / run_to_failure
        if run_to_failure
        else 0.0,
    }


def explain_failure(model: FailureModel, X: pd.DataFrame) -> Explanation:
    """SHAP contributions to the log-odds of each row's most likely failure mode."""
    modes = model.mode_proba(X)
    dominant = modes.idxmax(axis=1).to_numpy(dtype=object)
    contributions = pd.DataFrame(0.0, index=X.index, columns=X.columns)
    base = np.zeros(len(X))
    for mode in MODES:
        rows = np.flatnonzero(dominant == mode)
        if rows.size == 0:
            continue
        part = tree_shap(model.models_[mode], X.iloc[rows], output="log-odds")
        contributions.iloc[rows] = part.contributions.to_numpy()
        base[rows] = part.base_values
    return Explanation(
        contributions=contributions,
        base_values=base,
        output="log-odds of the most likely failure mode",
        labels=tuple(str(d) for d in dominant),
    )


def predict_failure(model: FailureModel, X: pd.DataFrame) -> pd.DataFrame:
    """Failure probability, decision, most likely type and per-mode risks."""
    return model.predict_table(X)


def _locate(data: Path) -> Path:
    return data / "ai4i2020" / "ai4i2020.csv"


def failure_pilot() -> DomainPipeline:
    """The AI4I 2020 machine-failure pilot.

    Its dataset enters the pool under the shipped ``ai4i2020`` contract
    (``Product ID`` pseudonymised, ranges and types checked).

    Examples
    --------
    >>> failure_pilot().name
    'industry-failure'
    """
    contract = DataContract(
        datasets=(
            DatasetContract(
                DATASET,
                locate=_locate,
                spec=builtin_contract(DATASET),
                description="AI4I 2020 milling machine (UCI 601)",
            ),
        ),
        org=ORG,
        inputs=(
            InputColumn("Type", "category", TYPES),
            *(InputColumn(c) for c in PROCESS_COLUMNS),
        ),
        ignored=("UDI", "Product ID", *LABELS),
    )
    return DomainPipeline(
        name=NAME,
        title="Machine failure and failure type on AI4I 2020",
        contract=contract,
        split=split_ai4i,
        features=physics_features,
        target=labels,
        model_factory=make_model,
        metrics=failure_metrics,
        kpis=failure_kpis,
        explainer=explain_failure,
        predict=predict_failure,
        cv=stratified_folds,
        promotion=PromotionRule("f1", 0.85),
        search=failure_search(),
    )
