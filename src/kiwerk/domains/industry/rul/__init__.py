"""Remaining useful life of turbofan engines (NASA C-MAPSS protocol).

Features (operating-condition normalisation, smoothing, windows), a LightGBM
and a 1-D CNN estimator blended on held-out engines, locally adaptive conformal
intervals, explanations (integrated gradients for the CNN, SHAP for the
trees) and the ``industry-rul`` pilot for the shared pipeline.
"""

from kiwerk.domains.industry.rul._attribution import (
    integrated_gradients,
    integrated_gradients_batch,
)
from kiwerk.domains.industry.rul._conformal import ConformalCalibrator, coverage
from kiwerk.domains.industry.rul._estimator import RulEstimator
from kiwerk.domains.industry.rul._explain import (
    RulExplanation,
    explain_rows,
    explain_unit,
)
from kiwerk.domains.industry.rul._features import ConditionNormalizer
from kiwerk.domains.industry.rul._fleet import FleetView, fleet_view
from kiwerk.domains.industry.rul._metrics import (
    RulReport,
    evaluate_rul,
    nasa_score,
    rmse,
)
from kiwerk.domains.industry.rul._params import RulParams
from kiwerk.domains.industry.rul._pilot import (
    RulPilotModel,
    cmapss_frames,
    dataset_names,
    explain_rul,
    pilot_name,
    predict_rul,
    rul_kpis,
    rul_metrics,
    rul_pilot,
    rul_pilots,
    truncated_folds,
)
from kiwerk.domains.industry.rul._validate import validate_frame, validate_with_order

__all__ = [
    "ConditionNormalizer",
    "ConformalCalibrator",
    "FleetView",
    "RulEstimator",
    "RulExplanation",
    "RulParams",
    "RulPilotModel",
    "RulReport",
    "cmapss_frames",
    "coverage",
    "dataset_names",
    "evaluate_rul",
    "explain_rows",
    "explain_rul",
    "explain_unit",
    "fleet_view",
    "integrated_gradients",
    "integrated_gradients_batch",
    "nasa_score",
    "pilot_name",
    "predict_rul",
    "rmse",
    "rul_kpis",
    "rul_metrics",
    "rul_pilot",
    "rul_pilots",
    "truncated_folds",
    "validate_frame",
    "validate_with_order",
]
