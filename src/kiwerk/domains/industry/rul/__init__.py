"""Remaining useful life of turbofan engines (NASA C-MAPSS protocol).

Features (operating-condition normalisation, smoothing, windows), a LightGBM
and a 1-D CNN estimator blended on held-out engines, locally adaptive conformal
intervals, and explanations (integrated gradients for the CNN, SHAP for the
trees).
"""

from kiwerk.domains.industry.rul._attribution import integrated_gradients
from kiwerk.domains.industry.rul._conformal import ConformalCalibrator, coverage
from kiwerk.domains.industry.rul._estimator import RulEstimator
from kiwerk.domains.industry.rul._explain import RulExplanation, explain_unit
from kiwerk.domains.industry.rul._features import ConditionNormalizer
from kiwerk.domains.industry.rul._metrics import (
    RulReport,
    evaluate_rul,
    nasa_score,
    rmse,
)
from kiwerk.domains.industry.rul._params import RulParams
from kiwerk.domains.industry.rul._validate import validate_frame

__all__ = [
    "ConditionNormalizer",
    "ConformalCalibrator",
    "RulEstimator",
    "RulExplanation",
    "RulParams",
    "RulReport",
    "coverage",
    "evaluate_rul",
    "explain_unit",
    "integrated_gradients",
    "nasa_score",
    "rmse",
    "validate_frame",
]
