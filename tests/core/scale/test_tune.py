"""Hyper-parameter search in-process: seeded trials, ASHA, validation only."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import pytest

from kiwerk.core.pipeline import DomainPipeline, FrameSource, Split
from kiwerk.core.scale import TuneParams, tune_pilot, tuning_data
from kiwerk.errors import ConfigError


def test_trials_repeat_for_a_seed(
    tunable_pilot: DomainPipeline, toy_source: FrameSource
) -> None:
    """The same seed gives the same configurations and scores; another differs."""
    params = TuneParams(trials=4, seed=3)
    a = tune_pilot(tunable_pilot, toy_source, params)
    b = tune_pilot(tunable_pilot, toy_source, params)
    c = tune_pilot(tunable_pilot, toy_source, dataclasses.replace(params, seed=4))
    assert a.trials == b.trials
    assert [t.config for t in a.trials] != [t.config for t in c.trials]
    assert len(a.trials) == 4
    assert a.folds == 4


def test_asha_stops_weak_trials_and_best_ran_all_folds(
    tunable_pilot: DomainPipeline, toy_source: FrameSource
) -> None:
    """Some trials stop early; the best is a survivor with every fold scored."""
    report = tune_pilot(tunable_pilot, toy_source, TuneParams(trials=8, seed=0))
    stopped = [t for t in report.trials if t.stopped]
    assert stopped, "ASHA stopped no trial out of 8"
    assert all(len(t.scores) < report.folds for t in stopped)
    assert len(report.best.scores) == report.folds
    full = [t for t in report.trials if not t.stopped]
    assert report.best.value == max(t.value for t in full)


def test_scores_are_validation_folds_of_the_training_part(
    tunable_pilot: DomainPipeline, toy_source: FrameSource
) -> None:
    """A trial's fold score is the pilot metric on that fold's held-out rows."""
    params = TuneParams(trials=1, seed=5, folds=3)
    report = tune_pilot(tunable_pilot, toy_source, params)
    data = tuning_data(tunable_pilot, toy_source, params)
    trial = report.trials[0]
    fit_idx, val_idx = data.folds[0]
    assert tunable_pilot.search is not None
    model = tunable_pilot.search.factory(trial.config, 5, False)
    model.fit(data.X.iloc[fit_idx], data.y.iloc[fit_idx])
    expected = tunable_pilot.metrics(model, data.X.iloc[val_idx], data.y.iloc[val_idx])
    assert trial.scores[0] == expected["roc_auc"]


def test_test_split_is_never_read(
    tunable_pilot: DomainPipeline, toy_source: FrameSource
) -> None:
    """Poisoning the test split's rows changes nothing in the search."""

    def poisoned(frames: Any, seed: int) -> Split:
        split = tunable_pilot.split(frames, seed)
        test = split.test.assign(a=float("nan"), label=-1)
        return Split(train=split.train, test=test)

    params = TuneParams(trials=3, seed=1)
    clean = tune_pilot(tunable_pilot, toy_source, params)
    dirty = tune_pilot(
        dataclasses.replace(tunable_pilot, split=poisoned), toy_source, params
    )
    assert clean.trials == dirty.trials


def test_pilot_without_search_space_is_refused(
    toy_pilot: DomainPipeline, toy_rows: pd.DataFrame
) -> None:
    """Tuning a pilot that declares no search space is a ConfigError."""
    with pytest.raises(ConfigError, match="no search space"):
        tune_pilot(toy_pilot, FrameSource({"toy": toy_rows}), TuneParams(trials=1))


def test_unknown_metric_is_named(
    tunable_pilot: DomainPipeline, toy_source: FrameSource
) -> None:
    """A search space ranking on a metric the pilot lacks fails naming it."""
    assert tunable_pilot.search is not None
    space = dataclasses.replace(tunable_pilot.search, metric="nope")
    pilot = dataclasses.replace(tunable_pilot, search=space)
    with pytest.raises(ConfigError, match="'nope'"):
        tune_pilot(pilot, toy_source, TuneParams(trials=1))
