"""Explanations: SHAP for trees, gradient attribution for torch, importance plots."""

from kiwerk.core.explain._explanation import Explanation
from kiwerk.core.explain._gradient import (
    gradient_attribution,
    gradient_attribution_steps,
)
from kiwerk.core.explain._plots import write_importance
from kiwerk.core.explain._tree import tree_shap

__all__ = [
    "Explanation",
    "gradient_attribution",
    "gradient_attribution_steps",
    "tree_shap",
    "write_importance",
]
