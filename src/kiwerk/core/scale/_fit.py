"""Training a pilot on Ray: its cross-validation and final fits as Ray tasks.

:func:`~kiwerk.core.pipeline.train_pilot` fits the cross-validation models and
the final model through a :data:`~kiwerk.core.pipeline.FitMap`. In-process
they run one after another; :func:`ray_fit_map` runs them as Ray tasks (one
CPU each) at once, and the driver evaluates, explains and registers as
before. Each fit is seeded alike wherever it runs, so the metrics, the model
and its predictions are the in-process ones. A task lost with its worker or
node is run again (``max_retries``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from kiwerk.core.pipeline import (
    DomainPipeline,
    Estimator,
    FitMap,
    Progress,
    TrainParams,
)
from kiwerk.core.scale._backend import RayParams, ray_session


def _fit_one(
    pilot: DomainPipeline, params: TrainParams, X: pd.DataFrame, y: Any
) -> Estimator:
    """One fresh model of ``pilot`` fitted on ``(X, y)`` (a Ray task's body)."""
    model = pilot.model_factory(params.seed, quick=params.quick)
    model.fit(X, y)
    return model


def ray_fit_map(ray: RayParams, max_retries: int = 3) -> FitMap:
    """A :data:`~kiwerk.core.pipeline.FitMap` that fits on the Ray cluster ``ray``.

    Parameters
    ----------
    ray
        Where to run (``RayParams("local")``, ``"auto"`` or an address).
    max_retries
        Runs again of a fit whose worker or node died.

    Raises
    ------
    ConfigError
        When Ray cannot be reached (on first use).
    """

    def fit_map(
        pilot: DomainPipeline,
        params: TrainParams,
        parts: Sequence[tuple[str, pd.DataFrame, Any]],
        progress: Progress,
    ) -> list[Estimator]:
        with ray_session(ray):
            import ray as ray_api

            task = ray_api.remote(num_cpus=1, max_retries=max_retries)(_fit_one)
            shared = ray_api.put(pilot), ray_api.put(params)
            refs = [task.remote(*shared, X, y) for _, X, y in parts]
            models = []
            for k, ((label, _, _), ref) in enumerate(zip(parts, refs, strict=True)):
                progress(f"{label} (Ray)", k, len(refs))
                models.append(ray_api.get(ref))
            return models

    return fit_map
