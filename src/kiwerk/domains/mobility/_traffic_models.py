"""Traffic forecasters: baselines and kiwerk's graph models.

All share one interface: ``fit(series, origins)`` learns from the windows at
the training ``origins`` (and nothing after their last target);
``predict(series, origins)`` returns ``(n, N, horizon)`` speeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Self

import numpy as np

from kiwerk.domains.mobility._traffic_data import SpeedSeries, lags, targets
from kiwerk.domains.mobility._traffic_features import (
    SCALE,
    DailyProfile,
    build_features,
)
from kiwerk.errors import NotFittedError


@dataclass(frozen=True)
class ForecastParams:
    """Window sizes shared by every forecaster.

    Attributes
    ----------
    input_steps
        Past steps each forecast sees (T-GCN: 12 = one hour).
    horizon
        Steps predicted at once (12 covers 15/30/45/60 minutes).
    seed
        Seed of every random choice (row subsampling, network weights).
    """

    input_steps: int = 12
    horizon: int = 12
    seed: int = 0

    def __post_init__(self) -> None:
        if self.input_steps < 1 or self.horizon < 1:
            raise ValueError("Expected input_steps >= 1 and horizon >= 1.")


class Forecaster(Protocol):
    """What the benchmark, the explainer and the pipeline need of a model."""

    name: str
    params: ForecastParams

    def fit(self, series: SpeedSeries, origins: np.ndarray) -> Self:
        """Learn from the windows at ``origins``."""
        ...

    def predict(self, series: SpeedSeries, origins: np.ndarray) -> np.ndarray:
        """``(len(origins), N, horizon)`` forecasts."""
        ...


def _train_end(origins: np.ndarray, horizon: int) -> int:
    return int(origins.max()) + horizon


class Persistence:
    """Tomorrow is like now: every step repeats the last reading."""

    name = "persistence"

    def __init__(self, params: ForecastParams | None = None) -> None:
        self.params = params or ForecastParams()

    def fit(self, series: SpeedSeries, origins: np.ndarray) -> Self:
        """Nothing to learn."""
        return self

    def predict(self, series: SpeedSeries, origins: np.ndarray) -> np.ndarray:
        """Repeat the last input step ``horizon`` times."""
        last = lags(series.speed, origins, 1)
        return np.repeat(last, self.params.horizon, axis=2)


class HistoricalAverage:
    """The T-GCN paper's HA: mean speed at that time of day in the training rows."""

    name = "historical_average"

    def __init__(self, params: ForecastParams | None = None) -> None:
        self.params = params or ForecastParams()
        self.profile_: DailyProfile | None = None

    def fit(self, series: SpeedSeries, origins: np.ndarray) -> Self:
        """Average the training rows by weekday/weekend and time of day."""
        self.profile_ = DailyProfile.fit(
            series, _train_end(origins, self.params.horizon)
        )
        return self

    def predict(self, series: SpeedSeries, origins: np.ndarray) -> np.ndarray:
        """The profile at each target time."""
        if self.profile_ is None:
            raise NotFittedError("HistoricalAverage is not fitted")
        return self.profile_.ahead(series, origins, self.params.horizon)


class GraphRidge:
    """One ridge regression per sensor on own, neighbour and profile features.

    Parameters
    ----------
    alpha
        L2 penalty (chosen on a validation tail by the benchmark).
    """

    name = "graph_ridge"

    def __init__(self, params: ForecastParams | None = None, alpha: float = 30.0):
        if alpha < 0:
            raise ValueError("Expected alpha >= 0.")
        self.params = params or ForecastParams()
        self.alpha = alpha
        self.profile_: DailyProfile | None = None
        self.coef_: np.ndarray | None = None

    def fit(self, series: SpeedSeries, origins: np.ndarray) -> Self:
        """Solve ``N`` ridge problems at once (batched normal equations)."""
        p = self.params
        self.profile_ = DailyProfile.fit(series, _train_end(origins, p.horizon))
        block = build_features(
            series, origins, self.profile_, input_steps=p.input_steps, horizon=p.horizon
        )
        x = _with_bias(block.values)  # n, N, F+1
        y = (targets(series.speed, origins, p.horizon) - block.last[:, :, None]) / SCALE
        xs = np.transpose(x, (1, 0, 2)).astype(np.float64)  # N, n, F+1
        gram = xs.transpose(0, 2, 1) @ xs
        penalty = self.alpha * np.eye(gram.shape[-1])
        penalty[-1, -1] = 0.0  # the bias is not shrunk
        rhs = xs.transpose(0, 2, 1) @ np.transpose(y, (1, 0, 2))
        self.coef_ = np.linalg.solve(gram + penalty, rhs)  # N, F+1, H
        return self

    def predict(self, series: SpeedSeries, origins: np.ndarray) -> np.ndarray:
        """Last reading plus the predicted change."""
        if self.profile_ is None or self.coef_ is None:
            raise NotFittedError("GraphRidge is not fitted")
        p = self.params
        block = build_features(
            series, origins, self.profile_, input_steps=p.input_steps, horizon=p.horizon
        )
        x = _with_bias(block.values).astype(np.float64)
        change = np.einsum("nsf,sfh->nsh", x, self.coef_)
        return np.asarray(block.last[:, :, None] + SCALE * change)


def _with_bias(values: np.ndarray) -> np.ndarray:
    ones = np.ones((*values.shape[:2], 1), dtype=values.dtype)
    return np.concatenate([values, ones], axis=2)


class GradientBoosting:
    """LightGBM pooled over sensors, one model per step; own lags only.

    The baseline of the issue: it sees each sensor's own history, the daily
    profile and the time of day, but not the sensor graph.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves
        LightGBM settings.
    max_rows
        Training rows per step, sampled at random (keeps CPU time bounded).
    graph
        Add the neighbour-lag features (off for the baseline).
    """

    name = "gradient_boosting"

    def __init__(
        self,
        params: ForecastParams | None = None,
        *,
        n_estimators: int = 150,
        learning_rate: float = 0.08,
        num_leaves: int = 31,
        max_rows: int = 60_000,
        graph: bool = False,
    ) -> None:
        self.params = params or ForecastParams()
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_rows = max_rows
        self.graph = graph
        self.profile_: DailyProfile | None = None
        self.models_: list[object] = []

    def _block(
        self, series: SpeedSeries, origins: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        assert self.profile_ is not None
        p = self.params
        block = build_features(
            series,
            origins,
            self.profile_,
            input_steps=p.input_steps,
            horizon=p.horizon,
            graph=self.graph,
        )
        sensor = np.broadcast_to(
            np.arange(series.n_sensors, dtype=np.float32)[None, :, None],
            (*block.values.shape[:2], 1),
        )
        values = np.concatenate([block.values, sensor], axis=2)
        return values.reshape(-1, values.shape[-1]), block.last.reshape(-1)

    def fit(self, series: SpeedSeries, origins: np.ndarray) -> Self:
        """Fit ``horizon`` regressors of the change from the last reading."""
        import lightgbm as lgb  # the ml extra

        p = self.params
        self.profile_ = DailyProfile.fit(series, _train_end(origins, p.horizon))
        x, last = self._block(series, origins)
        y = targets(series.speed, origins, p.horizon).reshape(-1, p.horizon)
        rng = np.random.default_rng(p.seed)
        self.models_ = []
        for step in range(p.horizon):
            rows = rng.choice(len(x), size=min(self.max_rows, len(x)), replace=False)
            model = lgb.LGBMRegressor(
                n_estimators=self.n_estimators,
                learning_rate=self.learning_rate,
                num_leaves=self.num_leaves,
                min_child_samples=50,
                colsample_bytree=0.8,
                max_bin=63,
                n_jobs=1,
                random_state=p.seed,
                verbose=-1,
            )
            model.fit(x[rows], y[rows, step] - last[rows])
            self.models_.append(model)
        return self

    def predict(self, series: SpeedSeries, origins: np.ndarray) -> np.ndarray:
        """Last reading plus each step's predicted change."""
        if not self.models_:
            raise NotFittedError("GradientBoosting is not fitted")
        x, last = self._block(series, origins)
        steps = [m.predict(x) + last for m in self.models_]  # type: ignore[attr-defined]
        out = np.stack(steps, axis=1).reshape(len(origins), series.n_sensors, -1)
        return np.asarray(out)
