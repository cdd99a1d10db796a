"""Training a pilot: read, split, cross-validate, fit, evaluate, explain, register."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kiwerk.core.explain import write_importance
from kiwerk.core.models import DatasetRef, ModelRecord, ModelRegistry
from kiwerk.core.pipeline._source import DataSource
from kiwerk.core.pipeline._spec import DomainPipeline, Estimator

#: ``progress(step, done, total)``: what the pipeline is doing, for a UI.
Progress = Callable[[str, int, int], None]

#: Rows explained at training time for the global importance summary.
EXPLAIN_ROWS = 2000


@dataclass(frozen=True)
class TrainParams:
    """How to run the pipeline.

    Parameters
    ----------
    seed
        Seeds the split, the folds and the model: same seed, same metrics.
    quick
        Small model budget and two folds (tests, smoke runs).
    cv_folds
        Override the pilot's number of cross-validation folds.
    """

    seed: int = 42
    quick: bool = False
    cv_folds: int | None = None

    def __post_init__(self) -> None:
        if self.cv_folds is not None and self.cv_folds < 2:
            raise ValueError(f"Expected cv_folds ≥ 2, got {self.cv_folds}.")

    def folds(self, pilot: DomainPipeline) -> int:
        """The number of folds to use for ``pilot``."""
        if self.cv_folds is not None:
            return self.cv_folds
        return 2 if self.quick else pilot.cv_folds


@dataclass(frozen=True)
class TrainReport:
    """What one training run produced and registered."""

    pilot: str
    record: ModelRecord
    metrics: dict[str, float]
    cv_mean: dict[str, float]
    cv_sd: dict[str, float]
    kpis: dict[str, float]
    datasets: list[DatasetRef]
    explanation: dict[str, Any]
    seconds: float


def _noop(step: str, done: int, total: int) -> None:
    del step, done, total


def read_training_data(
    pilot: DomainPipeline, source: DataSource
) -> tuple[dict[str, pd.DataFrame], list[DatasetRef]]:
    """The latest version of each of the pilot's datasets, with their refs."""
    frames, refs = {}, []
    for contract in pilot.contract.datasets:
        frame, ref = source.read(contract.name)
        frames[contract.name] = frame
        refs.append(ref)
    return frames, refs


def fit_models(
    pilot: DomainPipeline,
    params: TrainParams,
    parts: Sequence[tuple[str, pd.DataFrame, Any]],
    progress: Progress = _noop,
) -> list[Estimator]:
    """Fit a fresh model of ``pilot`` on each ``(label, X, y)``, one after another.

    The default :data:`FitMap`; :func:`kiwerk.core.scale.ray_fit_map` runs the
    same fits as Ray tasks. Every model is seeded alike, so where a fit runs
    does not change what it learns.
    """
    models = []
    for k, (label, X, y) in enumerate(parts):
        progress(label, k, len(parts))
        model = pilot.model_factory(params.seed, quick=params.quick)
        model.fit(X, y)
        models.append(model)
    return models


#: ``fit_map(pilot, params, parts, progress)``: a fresh model fitted on each
#: ``(label, X, y)`` of ``parts``, in order (:func:`fit_models` or Ray tasks);
#: the label names the fit in progress reports.
FitMap = Callable[
    [DomainPipeline, TrainParams, Sequence[tuple[str, pd.DataFrame, Any]], Progress],
    list[Estimator],
]


def _cv_parts(
    pilot: DomainPipeline, X: pd.DataFrame, y: Any, params: TrainParams
) -> tuple[list[tuple[str, pd.DataFrame, Any]], list[tuple[pd.DataFrame, Any]]]:
    """Each CV fold's fitting rows (labelled) and validation rows."""
    folds = pilot.cv(X, y, params.folds(pilot), params.seed)
    n = len(folds)
    fit = [
        (f"cross-validation fold {k + 1}/{n}", X.iloc[f], _take(y, f))
        for k, (f, _) in enumerate(folds)
    ]
    val = [(X.iloc[v], _take(y, v)) for _, v in folds]
    return fit, val


def _summarise(
    pilot: DomainPipeline,
    models: Sequence[Estimator],
    val: Sequence[tuple[pd.DataFrame, Any]],
) -> tuple[dict[str, float], dict[str, float]]:
    scores = [pilot.metrics(m, X, y) for m, (X, y) in zip(models, val, strict=True)]
    table = pd.DataFrame(scores)
    mean = {str(k): float(v) for k, v in table.mean().items()}
    sd = {str(k): float(v) for k, v in table.std(ddof=1).fillna(0.0).items()}
    return mean, sd


def cross_validate(
    pilot: DomainPipeline,
    X: pd.DataFrame,
    y: Any,
    params: TrainParams,
    progress: Progress = _noop,
    fit_map: FitMap = fit_models,
) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and sample standard deviation of the pilot's metrics over CV folds."""
    fit, val = _cv_parts(pilot, X, y, params)
    return _summarise(pilot, fit_map(pilot, params, fit, progress), val)


def _take(y: Any, idx: np.ndarray) -> Any:
    if isinstance(y, pd.DataFrame | pd.Series):
        return y.iloc[idx]
    return np.asarray(y)[idx]


def model_params(model: Estimator) -> dict[str, object]:
    """The parameters to record: a ``params`` dataclass or ``get_params()``."""
    found = getattr(model, "params", None)
    if found is not None and dataclasses.is_dataclass(found):
        return dict(dataclasses.asdict(found))  # type: ignore[arg-type]
    get_params = getattr(model, "get_params", None)
    if callable(get_params):
        return {str(k): v for k, v in dict(get_params()).items()}
    return {}


def train_pilot(
    pilot: DomainPipeline,
    source: DataSource,
    registry: ModelRegistry,
    params: TrainParams | None = None,
    *,
    progress: Progress | None = None,
    fit_map: FitMap = fit_models,
) -> TrainReport:
    """Run the whole pipeline for ``pilot`` and register the model as candidate.

    Hyper-parameters and thresholds are the model's business and are chosen
    inside ``fit`` on training data only; the test split is used once, after
    fitting, for the recorded metrics. The cross-validation models and the
    final one are fitted together by ``fit_map`` (one after another by
    default; :func:`kiwerk.core.scale.ray_fit_map` fits them as Ray tasks at
    once, with the same results).

    Returns
    -------
    TrainReport
        Test metrics, CV mean ± sd, KPIs, explanation summary and the
        registered version.
    """
    params = params or TrainParams()
    step = progress or _noop
    started = time.perf_counter()
    step("reading data", 0, 1)
    frames, refs = read_training_data(pilot, source)
    split = pilot.split(frames, params.seed)
    X_train, y_train = pilot.features(split.train), pilot.target(split.train)
    X_test, y_test = pilot.features(split.test), pilot.target(split.test)
    fit, val = _cv_parts(pilot, X_train, y_train, params)
    final = ("fitting the final model", X_train, y_train)
    *cv_models, model = fit_map(pilot, params, [*fit, final], step)
    cv_mean, cv_sd = _summarise(pilot, cv_models, val)
    step("evaluating on the test split", 0, 1)
    metrics = pilot.metrics(model, X_test, y_test)
    kpis = pilot.kpis(model, X_test, y_test)
    step("explaining", 0, 1)
    sample = X_test.iloc[:EXPLAIN_ROWS]
    explanation = pilot.explainer(model, sample)
    summary = explanation.summary()
    step("registering", 0, 1)
    with tempfile.TemporaryDirectory() as tmp:
        artifacts = list(
            write_importance(
                explanation.importance(), Path(tmp), title=f"{pilot.name}: importance"
            )
        )
        record = registry.register(
            pilot.name,
            model=model,
            seed=params.seed,
            params={
                **model_params(model),
                **pilot.tags,
                "quick": params.quick,
                "cv_folds": params.folds(pilot),
            },
            metrics=metrics,
            cv_metrics=_cv_tags(cv_mean, cv_sd),
            kpis=kpis,
            datasets=refs,
            explanation=summary,
            artifacts=artifacts,
        )
    return TrainReport(
        pilot=pilot.name,
        record=record,
        metrics=metrics,
        cv_mean=cv_mean,
        cv_sd=cv_sd,
        kpis=kpis,
        datasets=refs,
        explanation=summary,
        seconds=time.perf_counter() - started,
    )


def _cv_tags(mean: Mapping[str, float], sd: Mapping[str, float]) -> dict[str, float]:
    out = {f"{k}.mean": v for k, v in mean.items()}
    out.update({f"{k}.sd": v for k, v in sd.items()})
    return out
