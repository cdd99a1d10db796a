"""Training, cross-validation, evaluation and reproducibility of the pipeline."""

from __future__ import annotations

import pandas as pd
import pytest

from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import (
    DomainPipeline,
    FrameSource,
    TrainParams,
    evaluate_pilot,
    train_pilot,
)
from kiwerk.errors import IntegrityError, NotFound


def test_train_registers_everything_the_model_carries(
    toy_pilot: DomainPipeline, toy_source: FrameSource, registry: ModelRegistry
) -> None:
    """A run records datasets, params, test and CV metrics, KPIs, explanation, code."""
    steps: list[str] = []
    report = train_pilot(
        toy_pilot,
        toy_source,
        registry,
        TrainParams(seed=3),
        progress=lambda step, done, total: steps.append(step),
    )
    record = report.record
    assert record.name == "toy-pilot"
    assert record.version == 1
    assert record.aliases == ("candidate",)
    assert record.metrics == pytest.approx(report.metrics)
    assert report.metrics["accuracy"] > 0.75
    assert set(record.cv_metrics) == {
        "accuracy.mean",
        "accuracy.sd",
        "roc_auc.mean",
        "roc_auc.sd",
    }
    assert record.cv_metrics["accuracy.sd"] >= 0
    assert record.kpis["positives"] == report.kpis["positives"]
    [ref] = record.datasets
    assert (ref.name, ref.version, ref.rows) == ("toy", 0, 600)
    assert ref.content_hash == report.datasets[0].content_hash
    assert record.params["num_leaves"] == "7"
    assert record.params["cv_folds"] == "3"
    assert record.seed == 3
    assert record.code_version.startswith("0.") or "+" in record.code_version
    assert next(iter(record.explanation["importance"])) == "a"
    assert sum("cross-validation fold" in s for s in steps) == 3


def test_same_seed_gives_same_metrics(
    toy_pilot: DomainPipeline, toy_source: FrameSource, registry: ModelRegistry
) -> None:
    """Two runs with the same seed give identical metrics and CV figures."""
    first = train_pilot(toy_pilot, toy_source, registry, TrainParams(seed=7))
    second = train_pilot(toy_pilot, toy_source, registry, TrainParams(seed=7))
    assert second.record.version == first.record.version + 1
    assert first.metrics == second.metrics
    assert first.cv_mean == second.cv_mean
    assert first.cv_sd == second.cv_sd


def test_candidate_alias_moves_to_the_newest_version(
    toy_pilot: DomainPipeline, toy_source: FrameSource, registry: ModelRegistry
) -> None:
    """Each training run becomes the candidate; older ones lose the alias."""
    train_pilot(toy_pilot, toy_source, registry, TrainParams(quick=True))
    train_pilot(toy_pilot, toy_source, registry, TrainParams(quick=True))
    versions = registry.versions("toy-pilot")
    assert [(r.version, r.stage) for r in versions] == [
        (2, "candidate"),
        (1, "archived"),
    ]


def test_evaluate_reproduces_the_recorded_metrics(
    toy_pilot: DomainPipeline, toy_source: FrameSource, registry: ModelRegistry
) -> None:
    """Evaluating a registered version on its recorded data gives its metrics."""
    trained = train_pilot(toy_pilot, toy_source, registry, TrainParams(seed=11))
    report = evaluate_pilot(toy_pilot, toy_source, registry)
    assert report.record.version == trained.record.version
    assert report.reproduced
    assert report.metrics == trained.metrics


def test_evaluate_refuses_changed_data(
    toy_pilot: DomainPipeline,
    toy_source: FrameSource,
    toy_rows: pd.DataFrame,
    registry: ModelRegistry,
) -> None:
    """If the dataset a model recorded has changed, evaluation says so."""
    train_pilot(toy_pilot, toy_source, registry, TrainParams(quick=True))
    edited = toy_rows.copy()
    edited.loc[0, "a"] = 99.0
    with pytest.raises(IntegrityError, match="content hash"):
        evaluate_pilot(toy_pilot, FrameSource({"toy": edited}), registry)


def test_evaluate_without_training_names_the_fix(
    toy_pilot: DomainPipeline, toy_source: FrameSource, registry: ModelRegistry
) -> None:
    """Evaluating a never-trained pilot says to run ``kiwerk train`` first."""
    with pytest.raises(NotFound, match=r"never trained.*kiwerk train toy-pilot"):
        evaluate_pilot(toy_pilot, toy_source, registry)


def test_quick_mode_uses_two_folds(toy_pilot: DomainPipeline) -> None:
    """Quick runs cross-validate with two folds; an override wins."""
    assert TrainParams(quick=True).folds(toy_pilot) == 2
    assert TrainParams().folds(toy_pilot) == 3
    assert TrainParams(quick=True, cv_folds=4).folds(toy_pilot) == 4
    with pytest.raises(ValueError, match="cv_folds"):
        TrainParams(cv_folds=1)
