"""The same tuning and scoring on a local Ray give identical results (slow)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import DomainPipeline, FrameSource, TrainParams, train_pilot
from kiwerk.core.scale import (
    RayParams,
    ScoreParams,
    TuneParams,
    ray_fit_map,
    score_files,
    tune_pilot,
)
from kiwerk.core.serving import ServedModel
from kiwerk.errors import ContractViolation

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("local_ray")]

RAY = RayParams("local")


@pytest.mark.parametrize("reuse", [False, True], ids=["fresh-workers", "reused"])
def test_tune_on_ray_equals_in_process_trial_by_trial(
    tunable_pilot: DomainPipeline, toy_source: FrameSource, reuse: bool
) -> None:
    """One trial at a time, Ray Tune runs, scores and stops exactly the same trials."""
    params = TuneParams(trials=4, seed=2, folds=2, concurrency=1)
    here = tune_pilot(tunable_pilot, toy_source, params)
    there = tune_pilot(
        tunable_pilot, toy_source, dataclasses.replace(params, reuse_workers=reuse), RAY
    )
    assert there.backend.startswith("ray")
    for a, b in zip(here.trials, there.trials, strict=True):
        assert (a.index, a.config, a.scores, a.stopped) == (
            b.index,
            b.config,
            b.scores,
            b.stopped,
        )
    assert any(t.stopped for t in here.trials)
    assert here.best == there.best


def test_tune_concurrent_trials_keep_configs_and_scores(
    tunable_pilot: DomainPipeline, toy_source: FrameSource
) -> None:
    """Two at a time, configurations and every fold score both ran are equal."""
    params = TuneParams(trials=4, seed=2, folds=2, concurrency=2)
    here = tune_pilot(tunable_pilot, toy_source, params)
    there = tune_pilot(tunable_pilot, toy_source, params, RAY)
    for a, b in zip(here.trials, there.trials, strict=True):
        assert a.config == b.config
        common = min(len(a.scores), len(b.scores))
        assert common >= 1
        assert a.scores[:common] == b.scores[:common]


def test_score_on_ray_data_equals_in_process(
    served_toy: ServedModel, toy_parquet: Path, tmp_path: Path
) -> None:
    """Ray Data writes the same rows, in the same order, as pyarrow in-process."""
    params = ScoreParams(batch_rows=64, keep=("id",))
    here = score_files(served_toy, [toy_parquet], tmp_path / "here", params)
    there = score_files(served_toy, [toy_parquet], tmp_path / "there", params, RAY)
    a = pa.concat_tables([pq.read_table(f) for f in here.files])
    b = pa.concat_tables([pq.read_table(f) for f in there.files])
    assert there.rows == here.rows == 600
    assert len(there.files) > 1  # really split into several blocks
    assert a.equals(b)


def test_bad_row_on_ray_is_named_by_line(
    served_toy: ServedModel, toy_rows: pd.DataFrame, tmp_path: Path
) -> None:
    """A bad category in a later row group names the file and its line on Ray too."""
    rows = toy_rows.copy()
    rows.loc[450, "kind"] = "z"
    path = tmp_path / "bad.parquet"
    table = pa.Table.from_pandas(rows, preserve_index=False)
    pq.write_table(table, path, row_group_size=100)
    with pytest.raises(ContractViolation, match=r"bad\.parquet.*452|452.*bad\.parquet"):
        score_files(
            served_toy, [path], tmp_path / "out", ScoreParams(batch_rows=64), RAY
        )


def test_train_on_ray_equals_in_process(
    tunable_pilot: DomainPipeline, toy_source: FrameSource, registry: ModelRegistry
) -> None:
    """Fitting the CV folds and the final model as Ray tasks gives the same model."""
    params = TrainParams(seed=3)
    here = train_pilot(tunable_pilot, toy_source, registry, params)
    there = train_pilot(
        tunable_pilot, toy_source, registry, params, fit_map=ray_fit_map(RAY)
    )
    assert (here.metrics, here.cv_mean, here.cv_sd) == (
        there.metrics,
        there.cv_mean,
        there.cv_sd,
    )
    assert there.record.version == here.record.version + 1
    rows = toy_source.read("toy")[0]
    X = tunable_pilot.features(rows)
    a, b = registry.load(here.record), registry.load(there.record)
    assert (a.predict_proba(X) == b.predict_proba(X)).all()
