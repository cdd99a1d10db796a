"""Training a pilot: read, split, cross-validate, fit, evaluate, explain, register."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Mapping
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


def cross_validate(
    pilot: DomainPipeline,
    X: pd.DataFrame,
    y: Any,
    params: TrainParams,
    progress: Progress = _noop,
) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and sample standard deviation of the pilot's metrics over CV folds."""
    folds = pilot.cv(X, y, params.folds(pilot), params.seed)
    scores: list[dict[str, float]] = []
    for k, (fit_idx, val_idx) in enumerate(folds):
        progress(f"cross-validation fold {k + 1}/{len(folds)}", k, len(folds))
        model = pilot.model_factory(params.seed, quick=params.quick)
        model.fit(X.iloc[fit_idx], _take(y, fit_idx))
        scores.append(pilot.metrics(model, X.iloc[val_idx], _take(y, val_idx)))
    table = pd.DataFrame(scores)
    mean = {str(k): float(v) for k, v in table.mean().items()}
    sd = {str(k): float(v) for k, v in table.std(ddof=1).fillna(0.0).items()}
    return mean, sd


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
) -> TrainReport:
    """Run the whole pipeline for ``pilot`` and register the model as candidate.

    Hyper-parameters and thresholds are the model's business and are chosen
    inside ``fit`` on training data only; the test split is used once, after
    fitting, for the recorded metrics.

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
    cv_mean, cv_sd = cross_validate(pilot, X_train, y_train, params, step)
    step("fitting the final model", 0, 1)
    model = pilot.model_factory(params.seed, quick=params.quick)
    model.fit(X_train, y_train)
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
