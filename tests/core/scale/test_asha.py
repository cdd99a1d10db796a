"""The in-process ASHA rule is Ray Tune's, decision for decision."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiwerk.core.scale import Asha


def _ray_decisions(
    max_t: int, grace: int, rf: int, reports: list[tuple[int, int, float]]
) -> list[bool]:
    from ray.tune.schedulers import TrialScheduler
    from ray.tune.schedulers.async_hyperband import _Bracket

    bracket = _Bracket(grace, max_t, rf, s=0, stop_last_trials=True)
    out = []
    for trial, t, score in reports:
        # the bracket reads nothing of a trial but its id
        stand_in: Any = SimpleNamespace(trial_id=trial)
        if t >= max_t:
            bracket.on_result(stand_in, t, score)
            out.append(True)
            continue
        action = bracket.on_result(stand_in, t, score)
        out.append(action == TrialScheduler.STOP)
    return out


def _sequential_reports(
    scores: np.ndarray, asha: Asha
) -> tuple[list[tuple[int, int, float]], list[bool]]:
    reports, decisions = [], []
    for trial, row in enumerate(scores):
        for t, score in enumerate(row, start=1):
            reports.append((trial, t, float(score)))
            decisions.append(asha.report(trial, t, float(score)))
            if decisions[-1]:
                break
    return reports, decisions


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    trials=st.integers(1, 12),
    max_t=st.integers(1, 9),
    rf=st.sampled_from([2, 3, 4]),
)
def test_same_decisions_as_ray_bracket(
    seed: int, trials: int, max_t: int, rf: int
) -> None:
    """Fed the same reports, Asha and Ray's ASHA bracket stop the same trials."""
    scores = np.random.default_rng(seed).normal(size=(trials, max_t))
    reports, mine = _sequential_reports(scores, Asha(max_t, 1, rf))
    assert mine == _ray_decisions(max_t, 1, rf, reports)


@pytest.mark.parametrize(
    ("max_t", "grace", "rf", "milestones"),
    [
        (2, 1, 2, [2, 1]),  # the RUL pilot's 2 folds
        (5, 1, 2, [4, 2, 1]),  # the failure pilot's 5 folds
        (9, 1, 3, [9, 3, 1]),
        (4, 2, 2, [4, 2]),  # no stop before 2 folds
    ],
)
def test_milestones(max_t: int, grace: int, rf: int, milestones: list[int]) -> None:
    """Rungs sit at grace · rf^k up to max_t, as in Ray Tune."""
    assert Asha(max_t, grace, rf).milestones == milestones


def test_bad_arguments() -> None:
    """A grace above max_t or a reduction below 2 is refused."""
    with pytest.raises(ValueError, match="grace"):
        Asha(2, 3)
    with pytest.raises(ValueError, match="reduction"):
        Asha(4, 1, 1)
