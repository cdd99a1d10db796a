"""Why an engine got its estimate: integrated gradients (CNN) and SHAP (GBM)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from kiwerk.domains.industry.rul._attribution import integrated_gradients
from kiwerk.domains.industry.rul._estimator import RulEstimator
from kiwerk.domains.industry.rul._features import summarise
from kiwerk.domains.industry.rul._network import torch_threads
from kiwerk.errors import NotFound


@dataclass(frozen=True)
class RulExplanation:
    """Contributions to one engine's last-window estimate.

    ``base + sensor_cycle.sum().sum() + features.sum() ≈ estimate`` (exact up to
    the integration error of integrated gradients and the final clipping).

    Attributes
    ----------
    unit, estimate
        The engine and its estimated RUL.
    base
        The estimate for a healthy reference window (mean early-life window of
        the training engines) for the CNN part, plus the SHAP expected value for
        the GBM part, each weighted by its share of the blend.
    sensor_cycle
        CNN part: integrated gradients per window cycle (rows) and input channel
        (columns: kept sensors and ``cycle``), times the CNN's blend weight.
        Empty when the estimator has no network.
    features
        GBM part: SHAP values per window summary (``"s_11:mean"``), times the
        GBM's blend weight. Empty when the estimator has no tree model.
    """

    unit: int
    estimate: float
    base: float
    sensor_cycle: pd.DataFrame
    features: pd.Series

    def by_sensor(self) -> pd.Series:
        """Total push per sensor (both parts), largest magnitude first."""
        total = self.sensor_cycle.sum(axis=0) if not self.sensor_cycle.empty else None
        parts = [total] if total is not None else []
        if not self.features.empty:
            names = [n.split(":")[0] for n in self.features.index]
            parts.append(self.features.groupby(names).sum())
        if not parts:
            return pd.Series(dtype=np.float64)
        joined = pd.concat(parts, axis=1).fillna(0.0).sum(axis=1)
        return joined.reindex(joined.abs().sort_values(ascending=False).index)


def explain_unit(est: RulEstimator, frame: pd.DataFrame, unit: int) -> RulExplanation:
    """Explain the last-window estimate of ``unit`` in ``frame``.

    Raises
    ------
    NotFittedError
        When ``est`` was never fitted.
    NotFound
        When ``unit`` is not in ``frame``.
    """
    w = est._prepare(frame, "explanation frame")
    rows = np.flatnonzero(w.units == unit)
    if rows.size == 0:
        raise NotFound(f"unit {unit} is not in the explanation frame")
    x = w.x[rows[-1]]
    length = est.params.window
    cycles = w.cycles[rows][-length:]
    cycles = np.concatenate([np.repeat(cycles[:1], length - cycles.size), cycles])
    index = pd.Index(cycles, name="cycle")
    weight = est.weight_
    sensor_cycle = pd.DataFrame(columns=est.feature_names_, dtype=np.float64)
    base = 0.0
    if est.networks_:
        cap = est.params.cap
        baseline = est.baseline_window_.astype(np.float32)

        def forward(batch: torch.Tensor) -> torch.Tensor:
            outs = [net(batch) for net in est.networks_]
            return torch.stack(outs).mean(dim=0) * cap

        with torch_threads(est.params.threads):
            attr = integrated_gradients(forward, x, baseline)
            with torch.no_grad():
                base += weight * float(forward(torch.from_numpy(baseline[None]))[0])
        sensor_cycle = pd.DataFrame(
            attr * weight, index=index, columns=est.feature_names_
        )
    features = pd.Series(dtype=np.float64)
    if est.boosters_:
        values, expected = _shap(est, summarise(x[None]))
        features = pd.Series(values * (1.0 - weight), index=est.summary_names_)
        base += (1.0 - weight) * expected
    estimate = float(est._estimate(x[None])[0])
    return RulExplanation(
        unit=int(unit),
        estimate=estimate,
        base=base,
        sensor_cycle=sensor_cycle,
        features=features,
    )


def _shap(est: RulEstimator, summaries: np.ndarray) -> tuple[np.ndarray, float]:
    """SHAP values of the fold-averaged tree model for one row."""
    with warnings.catch_warnings():
        # shap's import touches a matplotlib colormap API that is being deprecated.
        warnings.filterwarnings(
            "ignore",
            message="The set_(bad|over|under) function",
            category=PendingDeprecationWarning,
        )
        import shap

    values, expected = [], []
    for booster in est.boosters_:
        explainer = shap.TreeExplainer(booster)
        values.append(np.asarray(explainer.shap_values(summaries))[0])
        expected.append(float(np.ravel(explainer.expected_value)[0]))
    return np.mean(values, axis=0), float(np.mean(expected))
