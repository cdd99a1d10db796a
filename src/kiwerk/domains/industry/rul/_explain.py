"""Why an engine got its estimate: integrated gradients (CNN) and SHAP (GBM)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from kiwerk.domains.industry.rul._attribution import (
    integrated_gradients,
    integrated_gradients_batch,
)
from kiwerk.domains.industry.rul._estimator import RulEstimator
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
        parts = []
        if not self.sensor_cycle.empty:
            total = self.sensor_cycle.sum(axis=0)
            parts.append(total.groupby([n.split(":")[0] for n in total.index]).sum())
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
        values, expected = _shap(est, est._summarise(x[None]))
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
    values, expected = _shap_rows(est, summaries)
    return values[0], expected


def _shap_rows(est: RulEstimator, summaries: np.ndarray) -> tuple[np.ndarray, float]:
    """SHAP values of the fold-averaged tree model, one row per summary row."""
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
        values.append(np.asarray(explainer.shap_values(summaries)))
        expected.append(float(np.ravel(explainer.expected_value)[0]))
    return np.mean(values, axis=0), float(np.mean(expected))


def explain_rows(
    est: RulEstimator, frame: pd.DataFrame, steps: int = 16
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per-sensor contributions to the estimate after every row of ``frame``.

    Returns a table in the frame's row order (columns: kept sensors and
    ``cycle``; CNN integrated gradients summed over the window and the slow
    channels, plus GBM SHAP values summed over each sensor's summaries) and
    the base value of each row.
    """
    w, order = est._prepare_ordered(frame, "explanation frame")
    names = [n.split(":")[0] for n in est.feature_names_]
    sensors = list(dict.fromkeys(names))
    total = pd.DataFrame(0.0, index=np.arange(len(w.units)), columns=sensors)
    base = np.zeros(len(w.units))
    weight = est.weight_
    if est.networks_:
        cap = est.params.cap
        baseline = est.baseline_window_.astype(np.float32)

        def forward(batch: torch.Tensor) -> torch.Tensor:
            return torch.stack([net(batch) for net in est.networks_]).mean(dim=0) * cap

        with torch_threads(est.params.threads):
            for i in range(0, len(w.x), 64):
                attr = integrated_gradients_batch(
                    forward, w.x[i : i + 64], baseline, steps
                )
                per_channel = pd.DataFrame(attr.sum(axis=1), columns=est.feature_names_)
                grouped = per_channel.T.groupby(names).sum().T
                total.iloc[i : i + 64] += weight * grouped[sensors].to_numpy()
            with torch.no_grad():
                base += weight * float(forward(torch.from_numpy(baseline[None]))[0])
    if est.boosters_:
        values, expected = _shap_rows(est, est._summarise(w.x))
        table = pd.DataFrame(values, columns=est.summary_names_)
        grouped = table.T.groupby([n.split(":")[0] for n in table.columns]).sum().T
        total += (1.0 - weight) * grouped.reindex(
            columns=sensors, fill_value=0.0
        ).to_numpy()
        base += (1.0 - weight) * expected
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return total.iloc[back].set_axis(frame.index), base[back]
