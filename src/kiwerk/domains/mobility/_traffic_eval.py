"""The T-GCN evaluation protocol on Los-loop: metrics, tuning, the comparison.

Metrics follow the T-GCN code (``evaluation`` in its ``main.py``): for a
horizon of ``h`` steps, the true and forecast values of *all* ``h`` steps of
all test windows are stacked into one ``(windows · h, N)`` matrix, then
RMSE, MAE, accuracy ``1 − ‖Y − Ŷ‖_F / ‖Y‖_F``, R² ``1 − SSE / SST`` and
explained variance are taken over it. Hyper-parameters are chosen on the last
20% of the training rows (a validation tail); the test rows are touched once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kiwerk.domains.mobility._traffic_data import SpeedSeries, split_origins, targets
from kiwerk.domains.mobility._traffic_gnn import GraphDiffusionNet
from kiwerk.domains.mobility._traffic_models import (
    Forecaster,
    ForecastParams,
    GradientBoosting,
    GraphRidge,
    HistoricalAverage,
    Persistence,
)
from kiwerk.domains.mobility._traffic_neural import GraphBlend, GraphMlp

HORIZON_STEPS = (3, 6, 9, 12)
_ALPHAS = (3.0, 30.0, 300.0)
_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 0.9, 1.0)


def tgcn_metrics(truth: np.ndarray, forecast: np.ndarray) -> dict[str, float]:
    """RMSE, MAE, accuracy, R², explained variance as T-GCN computes them.

    Examples
    --------
    >>> y = np.array([[[60.0, 50.0]], [[40.0, 70.0]]])
    >>> {k: round(v, 3) for k, v in tgcn_metrics(y, y + 1).items()}
    {'rmse': 1.0, 'mae': 1.0, 'accuracy': 0.982, 'r2': 0.992, 'var': 1.0}
    """
    a = np.transpose(truth, (0, 2, 1)).reshape(-1, truth.shape[1])
    b = np.transpose(forecast, (0, 2, 1)).reshape(-1, forecast.shape[1])
    err = a - b
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "accuracy": float(1 - np.linalg.norm(err) / np.linalg.norm(a)),
        "r2": float(1 - np.sum(err**2) / np.sum((a - a.mean()) ** 2)),
        "var": float(1 - np.var(err) / np.var(a)),
    }


@dataclass(frozen=True)
class TrafficReport:
    """Test metrics of every model at every horizon, plus what was chosen.

    Attributes
    ----------
    metrics
        ``model → horizon minutes → metric → value``.
    last_step_rmse
        ``model → horizon minutes →`` RMSE of the last step alone (stricter).
    chosen
        Hyper-parameters picked on the validation tail.
    train_s
        Wall seconds to tune and train kiwerk's model.
    best
        Name of kiwerk's model in ``metrics``.
    """

    metrics: dict[str, dict[int, dict[str, float]]]
    last_step_rmse: dict[str, dict[int, float]]
    chosen: dict[str, float]
    train_s: float
    best: str = GraphBlend.name
    fit_s: dict[str, float] = field(default_factory=dict)


def _rmse(series: SpeedSeries, origins: np.ndarray, forecast: np.ndarray) -> float:
    truth = targets(series.speed, origins, forecast.shape[2])
    return float(np.sqrt(np.mean((truth - forecast) ** 2)))


def tune_blend(
    series: SpeedSeries,
    train: np.ndarray,
    params: ForecastParams,
    *,
    max_epochs: int = 6,
    gnn_max_epochs: int = 8,
) -> dict[str, float]:
    """Pick ridge alpha, network epochs, graph-net stop and weights on the tail.

    The graph network's validation run (the first ``gnn_max_epochs`` of its
    12-epoch schedule) also gives its stopping epoch; the weights are chosen
    one after the other (pooled network vs ridge, then the graph network
    against that pair).
    """
    end = int(train.max()) + params.horizon
    val_start = int(end * 0.8)
    fit_origins = train[train + params.horizon <= val_start]
    val_origins = train[train >= val_start + params.input_steps]
    ridge_scores = {}
    ridge_forecasts = {}
    for alpha in _ALPHAS:
        model = GraphRidge(params, alpha=alpha).fit(series, fit_origins)
        ridge_forecasts[alpha] = model.predict(series, val_origins)
        ridge_scores[alpha] = _rmse(series, val_origins, ridge_forecasts[alpha])
    alpha = min(ridge_scores, key=ridge_scores.__getitem__)
    net_forecasts: list[np.ndarray] = []

    def score(_epoch: int, model: GraphMlp) -> None:
        net_forecasts.append(model.predict(series, val_origins))

    GraphMlp(params, epochs=max_epochs, on_epoch=score).fit(series, fit_origins)
    net_scores = [_rmse(series, val_origins, f) for f in net_forecasts]
    epochs = int(np.argmin(net_scores)) + 1
    best_net, best_ridge = net_forecasts[epochs - 1], ridge_forecasts[alpha]
    blend_scores = {
        w: _rmse(series, val_origins, w * best_net + (1 - w) * best_ridge)
        for w in _WEIGHTS
    }
    weight = min(blend_scores, key=blend_scores.__getitem__)
    pair = weight * best_net + (1 - weight) * best_ridge
    gnn_forecasts: list[np.ndarray] = []

    def score_gnn(_epoch: int, model: GraphDiffusionNet) -> None:
        gnn_forecasts.append(model.predict(series, val_origins))

    GraphDiffusionNet(params, stop=gnn_max_epochs, on_epoch=score_gnn).fit(
        series, fit_origins
    )
    gnn_scores = [_rmse(series, val_origins, f) for f in gnn_forecasts]
    stop = int(np.argmin(gnn_scores)) + 1
    trio_scores = {
        g: _rmse(series, val_origins, g * gnn_forecasts[stop - 1] + (1 - g) * pair)
        for g in _WEIGHTS
    }
    gnn_weight = min(trio_scores, key=trio_scores.__getitem__)
    return {
        "alpha": alpha,
        "epochs": float(epochs),
        "weight": weight,
        "gnn_stop": float(stop),
        "gnn_weight": gnn_weight,
        "pair_val_rmse": blend_scores[weight],
        "gnn_val_rmse": gnn_scores[stop - 1],
        "val_rmse": trio_scores[gnn_weight],
    }


def evaluate_traffic(
    series: SpeedSeries,
    *,
    params: ForecastParams | None = None,
    include_gbm: bool = True,
    gnn_seeds: int = 4,
    progress: Callable[[str], None] | None = None,
) -> tuple[TrafficReport, GraphBlend]:
    """Run the T-GCN protocol: baselines and kiwerk's model, same split.

    Returns the report and the fitted kiwerk model (for explanations/maps).
    ``gnn_seeds`` copies of the graph network are averaged in the final model.
    """
    params = params or ForecastParams()
    say = progress or (lambda _msg: None)
    train, _, _ = split_origins(
        len(series.speed), input_steps=params.input_steps, horizon=params.horizon
    )
    start = time.perf_counter()
    say("tuning on the validation tail")
    chosen = tune_blend(series, train, params)
    say(f"fitting kiwerk's model {chosen}")
    best = GraphBlend(
        params,
        weight=chosen["weight"],
        alpha=chosen["alpha"],
        epochs=int(chosen["epochs"]),
        gnn_weight=chosen["gnn_weight"],
        gnn_stop=int(chosen["gnn_stop"]),
        gnn_seeds=gnn_seeds,
    ).fit(series, train)
    train_s = time.perf_counter() - start
    models: list[Forecaster] = [
        Persistence(params),
        HistoricalAverage(params),
        GraphRidge(params, alpha=chosen["alpha"]),
    ]
    if include_gbm:
        models.append(GradientBoosting(params))
    fit_s = {best.name: train_s}
    for model in models:
        say(f"fitting {model.name}")
        begin = time.perf_counter()
        model.fit(series, train)
        fit_s[model.name] = time.perf_counter() - begin
    # the blend's own graph network, already fitted on the same rows
    models.extend(m for m in best.members if isinstance(m, GraphDiffusionNet))
    models.append(best)
    metrics: dict[str, dict[int, dict[str, float]]] = {}
    last_step: dict[str, dict[int, float]] = {}
    for model in models:
        metrics[model.name], last_step[model.name] = {}, {}
        for steps in HORIZON_STEPS:
            _, test, _ = split_origins(
                len(series.speed), input_steps=params.input_steps, horizon=steps
            )
            forecast = model.predict(series, test)[:, :, :steps]
            truth = targets(series.speed, test, steps)
            minutes = round(steps * series.step_minutes)
            metrics[model.name][minutes] = tgcn_metrics(truth, forecast)
            err = truth[:, :, -1] - forecast[:, :, -1]
            last_step[model.name][minutes] = float(np.sqrt(np.mean(err**2)))
    report = TrafficReport(
        metrics=metrics,
        last_step_rmse=last_step,
        chosen=chosen,
        train_s=train_s,
        fit_s=fit_s,
    )
    return report, best
