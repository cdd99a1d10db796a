"""Los-loop traffic forecasting as the ``mobility-forecast`` pilot.

Protocol (T-GCN, arXiv:1811.05320): the week of 5-minute speeds is split
chronologically 80/20; a forecast made at a row sees that row and the 11
before it (12 input steps) and predicts the next 12 steps, scored at 15, 30,
45 and 60 minutes with T-GCN's RMSE / MAE / accuracy / R². One row of the
feature table is one time step (``timestamp`` in Unix seconds plus one speed
column per sensor), so a request is simply the latest readings: rows with
fewer than 11 rows of history before them get no forecast (``NaN``). The
test frame carries the 11 training rows before the cut as history only.

The estimator is the benchmark's best model in a fixed, quicker form: the
mean of :class:`~kiwerk.domains.mobility.GraphRidge` (own, 1-/2-hop
neighbour lags and the daily profile) and
:class:`~kiwerk.domains.mobility.GraphDiffusionNet` (graph diffusion plus an
adaptive adjacency), with the ridge alpha, the network's stopping epoch and
the weight that ``benchmarks/traffic.py`` chose on its validation tail (never
on test). ``quick`` (tests) keeps the ridge alone. It is wrapped behind
``fit(X, y)`` / ``predict(X)``; the sensor graph comes from the pool's
``los-loop-adjacency`` table, handed to ``fit`` with the split.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

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
from kiwerk.datasets import load_los_loop
from kiwerk.domains.mobility._los_loop_sensors import LOS_LOOP_SENSORS
from kiwerk.domains.mobility._traffic_data import SpeedSeries
from kiwerk.domains.mobility._traffic_eval import HORIZON_STEPS, tgcn_metrics
from kiwerk.domains.mobility._traffic_gnn import GraphDiffusionNet
from kiwerk.domains.mobility._traffic_models import ForecastParams, GraphRidge
from kiwerk.errors import ContractViolation, NotFittedError

NAME = "mobility-forecast"
ORG = "mobility"
SPEED = "los-loop-speed"
ADJACENCY = "los-loop-adjacency"
TIME = "timestamp"
INPUT_STEPS = 12
HORIZON = 12
TRAIN_RATE = 0.8
STEP_S = 300
_GRAPH = "adjacency"
# chosen by benchmarks/traffic.py on the last 20% of the training rows
PILOT_ALPHA = 300.0
PILOT_GNN_WEIGHT = 1.0
PILOT_GNN_STOP = 3


def _headed_copies(directory: Path) -> tuple[Path, Path]:
    """Speed (with a ``timestamp`` column) and adjacency (sensor-id header) CSVs.

    Written once to a ``kiwerk-los-loop`` folder in the system's temporary
    directory (never beside the read-only data): the raw speed file has no
    time column and the adjacency no header, which the pool needs.
    """
    target = Path(tempfile.gettempdir()) / "kiwerk-los-loop"
    speed_csv, adj_csv = target / "los_speed.csv", target / "los_adj.csv"
    if not (speed_csv.is_file() and adj_csv.is_file()):
        data = load_los_loop(directory=directory)
        table = data.speed.copy()
        epoch = pd.Timestamp("1970-01-01")
        stamps = (pd.DatetimeIndex(table.index) - epoch) // pd.Timedelta(seconds=1)
        table.insert(0, TIME, stamps)
        adjacency = pd.DataFrame(data.adjacency, columns=list(data.sensor_ids))
        target.mkdir(parents=True, exist_ok=True)
        for frame, path in ((table, speed_csv), (adjacency, adj_csv)):
            partial = path.with_suffix(".tmp")
            frame.to_csv(partial, index=False)
            partial.replace(path)
    return speed_csv, adj_csv


def _locate(part: int) -> Any:
    def locate(data: Path) -> Path:
        folder = data / "traffic" / "los_loop"
        raw = folder / ("los_speed.csv", "los_adj.csv")[part]
        if not raw.is_file():
            return raw
        return _headed_copies(folder)[part]

    return locate


def split_los_loop(frames: Mapping[str, pd.DataFrame], seed: int) -> Split:
    """Chronological 80/20 split; the test part keeps 11 rows of history.

    ``seed`` is unused (the protocol has no randomness). The sensor graph
    rides along in ``attrs`` so the estimator's ``fit`` can read it.
    """
    del seed
    speed = frames[SPEED].sort_values(TIME).reset_index(drop=True)
    speed.columns = [str(c) for c in speed.columns]
    sensors = [c for c in speed.columns if c != TIME]
    if tuple(sensors) != LOS_LOOP_SENSORS:
        raise ContractViolation(
            "the speed table's sensor columns are not Los-loop's 207 sensors",
            source=SPEED,
        )
    adjacency = frames[ADJACENCY]
    adjacency.columns = [str(c) for c in adjacency.columns]
    missing = [s for s in sensors if s not in adjacency.columns]
    if missing or len(adjacency) != len(sensors):
        raise ContractViolation(
            "the adjacency is not sensors × sensors",
            source=ADJACENCY,
            field=missing[0] if missing else None,
        )
    adjacency = adjacency[sensors]
    cut = int(len(speed) * TRAIN_RATE)
    train = speed.iloc[:cut].reset_index(drop=True)
    test = speed.iloc[cut - (INPUT_STEPS - 1) :].reset_index(drop=True)
    graph = adjacency.to_numpy(dtype=np.float64)
    train.attrs[_GRAPH] = graph
    test.attrs[_GRAPH] = graph
    return Split(train=train, test=test)


def features(frame: pd.DataFrame) -> pd.DataFrame:
    """The timestamp and every sensor's speed, one row per time step."""
    out = frame.astype(np.float64).copy()
    out.attrs = dict(frame.attrs)
    return out


def target(frame: pd.DataFrame) -> np.ndarray:
    """``(rows, sensors, 12)``: the 12 next steps' speeds (``NaN`` past the end)."""
    speed = frame.drop(columns=[TIME]).to_numpy(dtype=np.float64)
    out = np.full((len(speed), speed.shape[1], HORIZON), np.nan)
    for h in range(HORIZON):
        out[: len(speed) - h - 1, :, h] = speed[h + 1 :]
    return out


class ForecastModel:
    """Ridge (+ graph network) behind the pipeline's ``fit(X, y)`` / ``predict(X)``.

    ``predict`` returns ``(rows, sensors, 12)``: the forecast made at each row.
    ``gnn_weight`` is the graph network's share (``0``: the ridge alone).
    """

    def __init__(
        self,
        params: ForecastParams,
        alpha: float = 30.0,
        *,
        gnn_weight: float = 0.0,
        gnn_stop: int = 4,
    ) -> None:
        if not 0 <= gnn_weight <= 1:
            raise ValueError("Expected gnn_weight in [0, 1].")
        self.params = params
        self.alpha = alpha
        self.gnn_weight = gnn_weight
        self.gnn_stop = gnn_stop

    def _series(
        self, X: pd.DataFrame, adjacency: np.ndarray
    ) -> tuple[SpeedSeries, int]:
        """``X`` as a series padded from midnight before it to 12 steps after it."""
        stamps = X[TIME].to_numpy(dtype=np.int64)
        if len(stamps) > 1 and (np.diff(stamps) != STEP_S).any():
            row = int(np.flatnonzero(np.diff(stamps) != STEP_S)[0]) + 2
            raise ContractViolation(
                f"rows must be consecutive {STEP_S // 60}-minute steps",
                line=row,
                field=TIME,
            )
        lead = int(stamps[0] % 86_400) // STEP_S
        speed = X.drop(columns=[TIME]).to_numpy(dtype=np.float64)
        n = speed.shape[1]
        # zeros, not NaN: padding is never a forecast's input (rows with less
        # than 11 rows of history get no forecast) and NaN slows the BLAS
        padded = np.vstack([np.zeros((lead, n)), speed, np.zeros((HORIZON, n))])
        start = pd.Timestamp(int(stamps[0]) - lead * STEP_S, unit="s")
        times = pd.date_range(start, periods=len(padded), freq=f"{STEP_S}s")
        columns = tuple(str(c) for c in X.columns if c != TIME)
        return SpeedSeries(padded, times, columns, adjacency), lead

    def fit(self, X: pd.DataFrame, y: Any) -> Self:
        """Fit on every row with 12 steps of history and a full 12-step future."""
        graph = X.attrs.get(_GRAPH)
        if graph is None:
            raise ContractViolation("the training frame carries no sensor graph")
        self.adjacency_ = np.asarray(graph, dtype=np.float64)
        self.columns_ = list(X.columns)
        series, lead = self._series(X, self.adjacency_)
        # targets come from X itself: rows whose 12 next steps lie inside X
        # (``y`` of a CV fold may reach into the validation block; unused)
        future = np.asarray(
            np.isfinite(np.asarray(y, dtype=np.float64)).all(axis=(1, 2)), dtype=bool
        )
        rows = np.arange(INPUT_STEPS - 1, len(X) - HORIZON)
        rows = rows[future[rows]]
        self.model_ = GraphRidge(self.params, alpha=self.alpha)
        self.model_.fit(series, rows + lead + 1)
        self.gnn_: GraphDiffusionNet | None = None
        if self.gnn_weight > 0:
            self.gnn_ = GraphDiffusionNet(self.params, stop=self.gnn_stop)
            self.gnn_.fit(series, rows + lead + 1)
        self.gradient_: np.ndarray | None = None  # the explainer's, on first use
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The 12-step forecast at each row (``NaN`` without 11 earlier rows)."""
        return self._forecast(X, X.drop(columns=[TIME]).to_numpy(dtype=np.float64))

    def _forecast(self, X: pd.DataFrame, speed: np.ndarray) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise NotFittedError("ForecastModel is not fitted")
        series, lead = self._series(X, self.adjacency_)
        series.speed[lead : lead + len(X)] = speed
        out = np.full((len(X), speed.shape[1], HORIZON), np.nan)
        rows = np.arange(INPUT_STEPS - 1, len(X))
        if rows.size:
            out[rows] = self.forecast_series(series, rows + lead + 1)
        return out

    def forecast_series(self, series: SpeedSeries, origins: np.ndarray) -> np.ndarray:
        """The (blended) forecast at ``origins`` of a series."""
        ridge = self.model_.predict(series, origins)
        gnn = getattr(self, "gnn_", None)
        if gnn is None:
            return ridge
        w = self.gnn_weight
        return np.asarray(w * gnn.predict(series, origins) + (1 - w) * ridge)


def make_model(seed: int, *, quick: bool = False) -> ForecastModel:
    """The pilot's model factory: ridge + graph network, or the ridge if ``quick``.

    Alpha, stopping epoch and weight are the values ``benchmarks/traffic.py``
    chose on its validation tail (see BENCHMARKS.md), fixed here so the
    pilot trains in about a minute.
    """
    params = ForecastParams(INPUT_STEPS, HORIZON, seed=seed)
    if quick:
        return ForecastModel(params, alpha=PILOT_ALPHA)
    return ForecastModel(
        params, alpha=PILOT_ALPHA, gnn_weight=PILOT_GNN_WEIGHT, gnn_stop=PILOT_GNN_STOP
    )


def forecast_metrics(model: ForecastModel, X: pd.DataFrame, y: Any) -> dict[str, float]:
    """T-GCN's RMSE / MAE / accuracy / R² at 15, 30, 45 and 60 minutes."""
    truth = np.asarray(y, dtype=np.float64)
    forecast = model.predict(X)
    ok = np.isfinite(truth).all(axis=(1, 2)) & np.isfinite(forecast).all(axis=(1, 2))
    if not ok.any():
        raise ContractViolation("no row has 12 steps of history and of future")
    out: dict[str, float] = {}
    for steps in HORIZON_STEPS:
        scores = tgcn_metrics(truth[ok, :, :steps], forecast[ok, :, :steps])
        for key in ("rmse", "mae", "accuracy", "r2"):
            out[f"{key}_{steps * 5}min"] = scores[key]
    return out


def forecast_kpis(model: ForecastModel, X: pd.DataFrame, y: Any) -> dict[str, float]:
    """Share of 15-minute forecasts within 5 mph, and congestion caught (< 40 mph)."""
    truth = np.asarray(y, dtype=np.float64)[:, :, 2]
    forecast = model.predict(X)[:, :, 2]
    ok = np.isfinite(truth) & np.isfinite(forecast)
    jam, called = truth[ok] < 40.0, forecast[ok] < 40.0
    return {
        "within_5mph_share": float(np.mean(np.abs(truth[ok] - forecast[ok]) <= 5.0)),
        "congestion_recall": float(np.mean(called[jam])) if jam.any() else 1.0,
        "congestion_precision": float(np.mean(jam[called])) if called.any() else 1.0,
    }


def _window_gradient(model: ForecastModel, n: int) -> np.ndarray:
    """``(n, 12)``: change of the network-mean 15-minute forecast per mph of input.

    The ridge forecast is affine in the input window (the profile and
    calendar terms only add a constant), so one batched probe finds every
    slope: each origin of a synthetic constant series gets one reading
    raised by 1 mph, origins far enough apart that windows never overlap.
    With the graph network in the blend the slopes are those of its
    linearisation around a free-flowing 60 mph network.
    """
    gap = INPUT_STEPS + HORIZON
    probes = n * INPUT_STEPS
    origins = np.arange(probes) * gap + INPUT_STEPS
    flat = np.full((probes * gap + HORIZON, n), 60.0)
    times = pd.date_range("2012-03-01", periods=len(flat), freq=f"{STEP_S}s")
    ids = tuple(str(k) for k in range(n))
    plain = SpeedSeries(flat, times, ids, model.adjacency_)
    raised = flat.copy()
    sensor, lag = np.divmod(np.arange(probes), INPUT_STEPS)
    raised[origins - INPUT_STEPS + lag, sensor] += 1.0
    bumped = SpeedSeries(raised, times, ids, model.adjacency_)
    before = model.forecast_series(plain, origins)[:, :, 2].mean(axis=1)
    after = model.forecast_series(bumped, origins)[:, :, 2].mean(axis=1)
    return np.asarray((after - before).reshape(n, INPUT_STEPS))


def explain_forecasts(model: ForecastModel, X: pd.DataFrame) -> Explanation:
    """Per sensor, how much its last hour moved the network-mean 15-minute forecast.

    Occlusion: the contribution of a sensor is how far the mean forecast
    would drop if its last 12 readings were its daily profile (exact and
    computed in closed form for the ridge, which is affine in its inputs; for
    the blend with the graph network, through its linearisation). Rows
    without 11 rows of history explain nothing (zero contributions and base).
    """
    if not hasattr(model, "model_") or model.model_.profile_ is None:
        raise NotFittedError("ForecastModel is not fitted")
    speed = X.drop(columns=[TIME]).to_numpy(dtype=np.float64)
    rows = np.arange(INPUT_STEPS - 1, len(X))
    base = np.zeros(len(X))
    sensors = [str(c) for c in X.columns if c != TIME]
    contributions = np.zeros((len(X), len(sensors)))
    if rows.size:
        base[rows] = model._forecast(X, speed)[rows, :, 2].mean(axis=1)
        series, lead = model._series(X, model.adjacency_)
        normal = model.model_.profile_.at(series, np.arange(lead, lead + len(X)))
        gradient = getattr(model, "gradient_", None)
        if gradient is None:
            gradient = model.gradient_ = _window_gradient(model, len(sensors))
        window = rows[:, None] + np.arange(-INPUT_STEPS + 1, 1)[None, :]
        deviation = (speed - normal)[window]  # rows, 12, sensors
        contributions[rows] = np.einsum("rls,sl->rs", deviation, gradient)
    return Explanation(
        contributions=pd.DataFrame(contributions, index=X.index, columns=sensors),
        base_values=base,
        output="network-mean 15-minute speed forecast (mph)",
    )


def predict_forecasts(model: ForecastModel, X: pd.DataFrame) -> pd.DataFrame:
    """One column per sensor and horizon (``<sensor>@15min`` … ``@60min``)."""
    forecast = model.predict(X)
    sensors = [str(c) for c in X.columns if c != TIME]
    columns = {
        f"{s}@{steps * 5}min": forecast[:, j, steps - 1]
        for steps in HORIZON_STEPS
        for j, s in enumerate(sensors)
    }
    return pd.DataFrame(columns, index=X.index)


def chronological_folds(X: pd.DataFrame, y: Any, folds: int, seed: int) -> Folds:
    """Expanding-window folds: fit on the first blocks, validate on the next."""
    del y, seed
    edges = np.linspace(0, len(X), folds + 2).astype(int)
    return [
        (np.arange(0, edges[k + 1]), np.arange(edges[k + 1], edges[k + 2]))
        for k in range(folds)
    ]


def forecast_pilot() -> DomainPipeline:
    """The Los-loop 15–60-minute speed forecasting pilot.

    Examples
    --------
    >>> forecast_pilot().name
    'mobility-forecast'
    """
    contract = DataContract(
        datasets=(
            DatasetContract(SPEED, _locate(0), description="Los-loop 5-min speeds"),
            DatasetContract(ADJACENCY, _locate(1), description="Los-loop sensor graph"),
        ),
        org=ORG,
        inputs=(InputColumn(TIME), *(InputColumn(s) for s in LOS_LOOP_SENSORS)),
    )
    return DomainPipeline(
        name=NAME,
        title="Traffic speed 15–60 minutes ahead on Los-loop (207 sensors)",
        contract=contract,
        split=split_los_loop,
        features=features,
        target=target,
        model_factory=make_model,
        metrics=forecast_metrics,
        kpis=forecast_kpis,
        explainer=explain_forecasts,
        predict=predict_forecasts,
        cv=chronological_folds,
        promotion=PromotionRule("rmse_15min", 5.13, higher_is_better=False),
        cv_folds=2,
        tags={"protocol": "T-GCN 80/20, 12 input steps"},
    )
