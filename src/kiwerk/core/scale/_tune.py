"""Hyper-parameter search over the shared pipeline, in-process or on Ray Tune.

Trials are drawn up front from the pilot's :class:`SearchSpace` with the run's
seed. Each trial fits the pilot's model on the training part of the official
split, fold by fold of the pilot's cross-validation, and reports the running
mean of the validation metric; ASHA stops weak trials early. The test split is
never read. In-process, trials run one after another; on Ray they run as
Tune trials (one CPU each) under Tune's ASHA scheduler with the same
milestones, and a trial on a lost node is retried from the start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kiwerk.core.pipeline import (
    DataSource,
    DomainPipeline,
    Folds,
    SearchSpace,
    read_training_data,
)
from kiwerk.core.scale._asha import Asha
from kiwerk.core.scale._backend import RayParams
from kiwerk.errors import ConfigError

#: ``progress(trials done, trials total)``.
TuneProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class TuneParams:
    """How to search.

    Parameters
    ----------
    trials
        Configurations drawn from the search space.
    seed
        Seeds the configurations, the split, the folds and every model.
    quick
        The search space's small budget (tests, smoke runs).
    folds
        Validation folds of the training part (ASHA's resource); default the
        pilot's ``cv_folds`` (2 when ``quick``).
    reduction, grace
        ASHA: keep one trial in ``reduction`` per rung; no stop before
        ``grace`` folds.
    concurrency
        Ray: trials at once (default: as many as the cluster has CPUs).
    max_failures
        Ray: restarts of a trial whose worker or node died.
    reuse_workers
        Ray: run the next trial in the finished trial's worker instead of a
        fresh one. A fresh worker imports the pilot's libraries again (about
        10 s for industry-rul on a loaded 2-core machine), which dominates
        short trials; but Ray Tune 2.60 does not retry a reused worker lost
        with its node, so it is off by default and meant for clusters whose
        nodes stay up for the run.
    """

    trials: int = 16
    seed: int = 42
    quick: bool = False
    folds: int | None = None
    reduction: int = 2
    grace: int = 1
    concurrency: int | None = None
    max_failures: int = 3
    reuse_workers: bool = False

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise ValueError(f"Expected trials ≥ 1, got {self.trials}.")
        if self.folds is not None and self.folds < 2:
            raise ValueError(f"Expected folds ≥ 2, got {self.folds}.")
        if self.concurrency is not None and self.concurrency < 1:
            raise ValueError(f"Expected concurrency ≥ 1, got {self.concurrency}.")

    def n_folds(self, pilot: DomainPipeline) -> int:
        """The validation folds used for ``pilot``."""
        if self.folds is not None:
            return self.folds
        return 2 if self.quick else pilot.cv_folds


@dataclass(frozen=True)
class TrialResult:
    """One trial: its configuration and its validation score per fold run."""

    index: int
    config: dict[str, Any]
    scores: tuple[float, ...]
    stopped: bool

    @property
    def value(self) -> float:
        """Mean validation metric over the folds the trial ran."""
        return float(np.mean(self.scores))


@dataclass(frozen=True)
class TuneReport:
    """Every trial of a search, and the best one."""

    pilot: str
    metric: str
    higher_is_better: bool
    folds: int
    trials: list[TrialResult]
    backend: str
    seconds: float

    @property
    def best(self) -> TrialResult:
        """The best trial among those that ran every fold (ASHA's survivors)."""
        full = [t for t in self.trials if len(t.scores) == self.folds] or self.trials
        sign = 1.0 if self.higher_is_better else -1.0
        return max(full, key=lambda t: (sign * t.value, -t.index))


@dataclass(frozen=True)
class TuneData:
    """The training part of the split, its folds and what a trial needs."""

    pilot: DomainPipeline
    space: SearchSpace
    X: pd.DataFrame
    y: Any
    folds: Folds
    seed: int
    quick: bool

    def fold_score(self, config: dict[str, Any], k: int) -> float:
        """Fit on fold ``k``'s training rows and score its validation rows."""
        fit_idx, val_idx = self.folds[k]
        model = self.space.factory(config, self.seed, self.quick)
        model.fit(self.X.iloc[fit_idx], _take(self.y, fit_idx))
        scores = self.pilot.metrics(model, self.X.iloc[val_idx], _take(self.y, val_idx))
        if self.space.metric not in scores:
            raise ConfigError(
                f"pilot {self.pilot.name!r} reports no {self.space.metric!r} metric "
                f"(it has {sorted(scores)})"
            )
        return float(scores[self.space.metric])


def _take(y: Any, idx: np.ndarray) -> Any:
    if isinstance(y, pd.DataFrame | pd.Series):
        return y.iloc[idx]
    return np.asarray(y)[idx]


def tuning_data(
    pilot: DomainPipeline, source: DataSource, params: TuneParams
) -> TuneData:
    """Read the pilot's data and cut the training part into validation folds.

    Raises
    ------
    ConfigError
        When the pilot declares no search space.
    """
    if pilot.search is None:
        raise ConfigError(f"pilot {pilot.name!r} declares no search space to tune")
    frames, _ = read_training_data(pilot, source)
    split = pilot.split(frames, params.seed)
    X, y = pilot.features(split.train), pilot.target(split.train)
    folds = pilot.cv(X, y, params.n_folds(pilot), params.seed)
    return TuneData(pilot, pilot.search, X, y, folds, params.seed, params.quick)


def tune_pilot(
    pilot: DomainPipeline,
    source: DataSource,
    params: TuneParams,
    ray: RayParams | None = None,
    *,
    progress: TuneProgress | None = None,
) -> TuneReport:
    """Search ``pilot``'s hyper-parameters on validation folds of its training part.

    Returns
    -------
    TuneReport
        Each trial's configuration and per-fold validation scores, and the
        best trial.

    Raises
    ------
    ConfigError
        No search space, or Ray cannot be reached.
    """
    ray = ray or RayParams()
    data = tuning_data(pilot, source, params)
    configs = data.space.sample(params.trials, params.seed)
    started = time.perf_counter()
    if ray.in_process:
        trials, backend = _sequential(data, configs, params, progress), "in-process"
    else:
        from kiwerk.core.scale._tune_ray import run_on_ray

        trials = run_on_ray(data, configs, params, ray, progress)
        backend = f"ray ({ray.address})"
    return TuneReport(
        pilot=pilot.name,
        metric=data.space.metric,
        higher_is_better=data.space.higher_is_better,
        folds=len(data.folds),
        trials=trials,
        backend=backend,
        seconds=time.perf_counter() - started,
    )


def _sequential(
    data: TuneData,
    configs: list[dict[str, Any]],
    params: TuneParams,
    progress: TuneProgress | None,
) -> list[TrialResult]:
    asha = Asha(len(data.folds), params.grace, params.reduction)
    sign = 1.0 if data.space.higher_is_better else -1.0
    out = []
    for i, config in enumerate(configs):
        scores: list[float] = []
        for k in range(len(data.folds)):
            scores.append(data.fold_score(config, k))
            if asha.report(i, k + 1, sign * float(np.mean(scores))):
                break
        stopped = len(scores) < len(data.folds)
        out.append(TrialResult(i, config, tuple(scores), stopped))
        if progress is not None:
            progress(i + 1, len(configs))
    return out
