"""The Ray Tune side of :func:`~kiwerk.core.scale.tune_pilot`.

Trial ``i`` of the grid runs configuration ``i`` of the seeded draw, so Ray and
the in-process tuner run the same trials. Each trial needs one CPU; Tune's
:class:`~ray.tune.schedulers.ASHAScheduler` uses the same milestones as
:class:`~kiwerk.core.scale.Asha`. A trial whose worker or node dies is run
again from its first fold (``max_failures``); the folds are deterministic,
so a retried trial reports the same scores.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Any

from kiwerk.core.scale._backend import RayParams, ray_session
from kiwerk.errors import KiwerkError

if TYPE_CHECKING:
    from kiwerk.core.scale._tune import TrialResult, TuneData, TuneParams, TuneProgress


def _trial(
    config: dict[str, Any], data: TuneData, configs: list[dict[str, Any]]
) -> None:
    """One Tune trial: report the running mean score after each fold."""
    from ray import tune

    sign = 1.0 if data.space.higher_is_better else -1.0
    scores: list[float] = []
    chosen = configs[int(config["trial"])]
    for k in range(len(data.folds)):
        scores.append(data.fold_score(chosen, k))
        tune.report(
            {
                "fold": k + 1,
                "score": sign * sum(scores) / len(scores),
                "fold_score": scores[-1],
            }
        )


def run_on_ray(
    data: TuneData,
    configs: list[dict[str, Any]],
    params: TuneParams,
    ray_params: RayParams,
    progress: TuneProgress | None,
) -> list[TrialResult]:
    """Run ``configs`` as Tune trials under ASHA and collect their fold scores."""
    from kiwerk.core.scale._tune import TrialResult

    # the classic reporter honours verbose=0 (the new one prints tables)
    os.environ["RAY_AIR_NEW_OUTPUT"] = "0"
    with ray_session(ray_params) as resources, tempfile.TemporaryDirectory() as tmp:
        from ray import tune
        from ray.tune.schedulers import ASHAScheduler

        class Collect(tune.Callback):
            def __init__(self) -> None:
                self.scores: dict[int, dict[int, float]] = {}
                self.done: set[int] = set()

            def on_trial_result(self, *args: Any, **info: Any) -> None:
                trial, result = info["trial"], info["result"]
                index = int(trial.config["trial"])
                self.scores.setdefault(index, {})[int(result["fold"])] = float(
                    result["fold_score"]
                )

            def on_trial_complete(self, *args: Any, **info: Any) -> None:
                self.done.add(int(info["trial"].config["trial"]))
                if progress is not None:
                    progress(len(self.done), len(configs))

        collect = Collect()
        concurrency = params.concurrency or max(1, int(resources.get("CPU", 1)))
        trainable = tune.with_resources(
            tune.with_parameters(_trial, data=data, configs=configs), {"cpu": 1}
        )
        tuner = tune.Tuner(
            trainable,
            param_space={"trial": tune.grid_search(list(range(len(configs))))},
            tune_config=tune.TuneConfig(
                scheduler=ASHAScheduler(
                    time_attr="fold",
                    metric="score",
                    mode="max",
                    max_t=len(data.folds),
                    grace_period=params.grace,
                    reduction_factor=params.reduction,
                ),
                max_concurrent_trials=concurrency,
                reuse_actors=params.reuse_workers,
            ),
            run_config=tune.RunConfig(
                storage_path=tmp,
                name="kiwerk-tune",
                verbose=0,
                failure_config=tune.FailureConfig(max_failures=params.max_failures),
                callbacks=[collect],
            ),
        )
        grid = tuner.fit()
        errors = [grid[i].error for i in range(len(grid)) if grid[i].error]
        if errors:
            raise KiwerkError(f"a tuning trial failed: {errors[0]}") from errors[0]
    out = []
    for i, config in enumerate(configs):
        by_fold = collect.scores.get(i, {})
        scores = tuple(by_fold[k] for k in sorted(by_fold))
        out.append(TrialResult(i, config, scores, len(scores) < len(data.folds)))
    return out
