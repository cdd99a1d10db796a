"""SKAB's metrics against hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from kiwerk.core.monitor import (
    binary_scores,
    changepoints_from_labels,
    nab_score,
    nab_windows,
)


def test_binary_scores_hand_worked() -> None:
    """TP 2, FP 1, FN 1, TN 2 give F1 2/3, FAR 33.3 %, MAR 33.3 %."""
    s = binary_scores([[0, 0, 1, 1, 1, 0]], [[0, 1, 1, 1, 0, 0]])
    assert (s.tp, s.fp, s.fn, s.tn) == (2, 1, 1, 2)
    assert s.f1 == pytest.approx(2 / 3)
    assert s.far == pytest.approx(100 / 3)
    assert s.mar == pytest.approx(100 / 3)


def test_binary_scores_sum_counts_over_files() -> None:
    """Counts are pooled over files before the rates are taken, as in SKAB."""
    s = binary_scores([[1, 0], [0, 0, 0]], [[1, 1], [0, 0, 0]])
    assert (s.tp, s.fp, s.fn, s.tn) == (1, 1, 0, 3)
    assert s.far == pytest.approx(25.0)


def test_binary_scores_rejects_mismatched_lengths() -> None:
    """Arrays of different lengths are an error, not a silent truncation."""
    with pytest.raises(ValueError, match="shape"):
        binary_scores([[0, 1]], [[0, 1, 1]])


def test_changepoints_from_labels_marks_switches() -> None:
    """A change point at every switch, and at 0 when the series starts at 1."""
    assert changepoints_from_labels([0, 1, 1, 0]).tolist() == [0, 1, 0, 1]
    assert changepoints_from_labels([1, 1]).tolist() == [1, 0]


def test_nab_windows_cut_overlap_on_the_right() -> None:
    """Overlapping windows: the right one starts where the left one ends."""
    assert nab_windows([100.0, 110.0, 200.0], 30.0) == [
        (85.0, 115.0),
        (115.0, 125.0),
        (185.0, 215.0),
    ]


def test_nab_centre_hit_with_one_false_positive() -> None:
    """A hit at the window centre scores 0.44405, a false positive -0.11: 66.70."""
    # window [35, 65]; event = int(15 / 30 * 1000) = 500 on the 1000-point tanh
    # x = -pi/2 + 500 pi / 999; y = 1.11/2 * -tanh(x)/tanh(pi/2) + 0.555 - 0.11
    t = [np.arange(100.0)]
    cp = [np.eye(1, 100, 50, dtype=int)[0]]
    pred = [np.eye(1, 100, 50, dtype=int)[0] + np.eye(1, 100, 10, dtype=int)[0]]
    assert nab_score(t, cp, pred) == pytest.approx(66.70, abs=0.01)


@pytest.mark.parametrize(
    ("pred_at", "expected"),
    [
        ([35], 100.0),  # first point of the window: full A_tp
        ([], 0.0),  # missed: the null score
        ([65], 100 * (-0.11 + 1) / 2),  # last point of the window: A_fp
        ([35, 36, 40], 100.0),  # only the first hit in a window counts
        ([5, 95], 100 * (-1.22 + 1) / 2),  # two false positives and a miss
    ],
)
def test_nab_profiles_standard_cases(pred_at: list[int], expected: float) -> None:
    """Edge-of-window hits, misses and false positives score as SKAB does."""
    t = [np.arange(100.0)]
    cp = [np.eye(1, 100, 50, dtype=int)[0]]
    pred = np.zeros(100, dtype=int)
    pred[pred_at] = 1
    assert nab_score(t, cp, [pred]) == pytest.approx(expected)


def test_nab_low_fn_profile_weights_misses_double() -> None:
    """Under low_fn one miss of two windows scores 100·(1 − (−2)·…)."""
    t = [np.arange(200.0)]
    cp = np.zeros(200, dtype=int)
    cp[[50, 150]] = 1
    pred = np.zeros(200, dtype=int)
    pred[35] = 1  # perfect hit on the first window, second missed
    # score = 1 + (-2) = -1; null = -4; perfect = 2 -> 100 * 3 / 6 = 50
    assert nab_score(t, [cp], [pred], profile="low_fn") == pytest.approx(50.0)


def test_nab_rejects_unknown_profile() -> None:
    """An unknown profile name raises ValueError naming the choices."""
    with pytest.raises(ValueError, match="standard"):
        nab_score([[0.0]], [[0]], [[0]], profile="best")
