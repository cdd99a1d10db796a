"""Machine-failure prediction on AI4I 2020: physics features, per-mode boosting."""

from kiwerk.domains.industry.failure._features import physics_features
from kiwerk.domains.industry.failure._model import (
    FailureModel,
    FailureParams,
    best_threshold,
)
from kiwerk.domains.industry.failure._pilot import (
    MaintenanceCosts,
    explain_failure,
    failure_kpis,
    failure_metrics,
    failure_pilot,
    labels,
    make_model,
    predict_failure,
    split_ai4i,
)

__all__ = [
    "FailureModel",
    "FailureParams",
    "MaintenanceCosts",
    "best_threshold",
    "explain_failure",
    "failure_kpis",
    "failure_metrics",
    "failure_pilot",
    "labels",
    "make_model",
    "physics_features",
    "predict_failure",
    "split_ai4i",
]
