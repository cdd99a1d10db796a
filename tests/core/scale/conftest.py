"""Fixtures for the scale-out tests.

- ``tunable_pilot``: the core toy pilot with a search space and 4 folds.
- ``served_toy``: the toy pilot's model fitted on its rows, ready to serve.
- ``toy_parquet``: the toy rows written as a Parquet file of small row groups.
- ``local_ray_pickling``: the test pilots travel to Ray workers by value.
- ``local_ray``: the shared local Ray (tests/conftest.py), with the test
  pilots sent to its workers by value.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kiwerk.core.models import ModelRecord
from kiwerk.core.pipeline import Choice, DomainPipeline, IntRange, SearchSpace, Uniform
from kiwerk.core.serving import ServedModel


def _tuned(config: Mapping[str, Any], seed: int, quick: bool) -> Any:
    import lightgbm as lgb

    return lgb.LGBMClassifier(
        n_estimators=min(config["n_estimators"], 10)
        if quick
        else config["n_estimators"],
        num_leaves=config["num_leaves"],
        learning_rate=config["learning_rate"],
        random_state=seed,
        subsample=0.8,
        subsample_freq=1,
        verbose=-1,
        n_jobs=1,
        deterministic=True,
        force_row_wise=True,
    )


TOY_SPACE = SearchSpace(
    {
        "n_estimators": IntRange(5, 60),
        "num_leaves": Choice((3, 7, 15)),
        "learning_rate": Uniform(0.01, 0.5, log=True),
    },
    factory=_tuned,
    metric="roc_auc",
)


@pytest.fixture(scope="session")
def tunable_pilot(toy_pilot: DomainPipeline) -> DomainPipeline:
    """The toy pilot with a search space and 4 validation folds."""
    return dataclasses.replace(toy_pilot, search=TOY_SPACE, cv_folds=4)


@pytest.fixture(scope="session")
def served_toy(toy_pilot: DomainPipeline, toy_rows: pd.DataFrame) -> ServedModel:
    """The toy pilot's model fitted on all toy rows, as a served model."""
    model = toy_pilot.model_factory(0).fit(
        toy_pilot.features(toy_rows), toy_pilot.target(toy_rows)
    )
    record = ModelRecord(name=toy_pilot.name, version=1, run_id="", aliases=())
    return ServedModel(pilot=toy_pilot, record=record, model=model)


@pytest.fixture(scope="session")
def toy_parquet(
    toy_rows: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The 600 toy rows as Parquet in row groups of 100."""
    path = tmp_path_factory.mktemp("score-in") / "toy.parquet"
    table = pa.Table.from_pandas(toy_rows, preserve_index=False)
    pq.write_table(table, path, row_group_size=100)
    return path


@pytest.fixture(scope="session")
def local_ray_pickling(tunable_pilot: DomainPipeline) -> None:
    """Send the test pilots to Ray workers by value.

    They live in conftest modules that Ray's workers cannot import.
    """
    from ray import cloudpickle

    for fn in (tunable_pilot.split, _tuned):
        cloudpickle.register_pickle_by_value(sys.modules[fn.__module__])  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def local_ray(
    local_ray: dict[str, float], local_ray_pickling: None
) -> dict[str, float]:
    """The shared local Ray, the test pilots pickled by value for its workers."""
    del local_ray_pickling  # only needed to have run first
    return local_ray
