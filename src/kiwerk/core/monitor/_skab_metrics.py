"""SKAB's evaluation metrics: binary F1/FAR/MAR and the NAB changepoint score.

A re-implementation of the definitions in ``core/metrics.py`` of the SKAB
repository (waico/SKAB, the functions ``chp_score``, ``confusion_matrix``,
``single_detecting_boundaries``, ``extract_cp_confusion_matrix``, ``my_scale``
and ``single_evaluate_nab``), written on numpy arrays of timestamps instead of
pandas series so that it runs on any time index:

- **binary**: counts TP/TN/FP/FN over the points of every file together;
  ``F1 = TP / (TP + (FN + FP) / 2)``, ``FAR = FP / (FP + TN)`` and
  ``MAR = FN / (FN + TP)`` in percent.
- **NAB**: each true changepoint gets a scoring window (``window`` wide,
  centred on it by default); windows that overlap are cut on the right. The
  first predicted changepoint inside a window scores ``A_tp`` at the window's
  left edge falling along a tanh to ``A_fp`` at its right edge; a window with
  none scores ``A_fn``; every prediction outside all windows scores ``A_fp``.
  The sum is normalised so that a null detector scores 0 and a perfect one
  100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

_NAB_PROFILES: dict[str, tuple[float, float, float]] = {
    # profile: (A_tp, A_fp, A_fn), the defaults of SKAB's ``table_of_coef``
    "standard": (1.0, -0.11, -1.0),
    "low_fp": (1.0, -0.22, -1.0),
    "low_fn": (1.0, -0.11, -2.0),
}
_DETAIL = 1000  # points of the tanh scoring curve, as in SKAB's ``my_scale``


@dataclass(frozen=True)
class BinaryScores:
    """Point-wise outlier-detection scores summed over files.

    Attributes
    ----------
    f1, far, mar
        F1 in [0, 1]; false- and missed-alarm rates in percent.
    tp, tn, fp, fn
        The confusion counts behind them.
    """

    f1: float
    far: float
    mar: float
    tp: int
    tn: int
    fp: int
    fn: int


def binary_scores(
    true: Sequence[ArrayLike], predicted: Sequence[ArrayLike]
) -> BinaryScores:
    """Score 0/1 labels point by point over several files, as SKAB's ``binary``.

    Parameters
    ----------
    true, predicted
        One 0/1 array per file, of equal lengths pairwise.

    Returns
    -------
    BinaryScores
        Unrounded F1, FAR % and MAR % with the counts.

    Examples
    --------
    >>> s = binary_scores([[0, 0, 1, 1]], [[0, 1, 1, 0]])
    >>> (s.tp, s.tn, s.fp, s.fn), s.f1, s.far, s.mar
    ((1, 1, 1, 1), 0.5, 50.0, 50.0)
    """
    if len(true) != len(predicted):
        raise ValueError(f"{len(true)} label arrays but {len(predicted)} predictions")
    tp = tn = fp = fn = 0
    for t, p in zip(true, predicted, strict=True):
        t_ = np.asarray(t) == 1
        p_ = np.asarray(p) == 1
        if t_.shape != p_.shape:
            raise ValueError(f"labels of shape {t_.shape} vs predictions {p_.shape}")
        tp += int(np.sum(t_ & p_))
        tn += int(np.sum(~t_ & ~p_))
        fp += int(np.sum(~t_ & p_))
        fn += int(np.sum(t_ & ~p_))
    f1 = tp / (tp + (fn + fp) / 2) if tp + fn + fp else 0.0
    far = 100.0 * fp / (fp + tn) if fp + tn else 0.0
    mar = 100.0 * fn / (fn + tp) if fn + tp else 0.0
    return BinaryScores(f1, far, mar, tp, tn, fp, fn)


def changepoints_from_labels(labels: ArrayLike) -> NDArray[np.int8]:
    """Predicted changepoints of a 0/1 outlier series: where it switches.

    The first point is a changepoint when it is 1, as SKAB's notebooks do
    (``abs(prediction.diff())`` with the first value kept).

    Examples
    --------
    >>> changepoints_from_labels([1, 1, 0, 0, 1]).tolist()
    [1, 0, 1, 0, 1]
    """
    arr = np.asarray(labels, dtype=np.int8)
    out = np.zeros_like(arr)
    if arr.size:
        out[0] = arr[0]
        out[1:] = np.abs(np.diff(arr))
    return out


def nab_windows(
    changepoint_times: ArrayLike, window: float
) -> list[tuple[float, float]]:
    """Centred scoring windows around true changepoints, overlaps cut on the right.

    Examples
    --------
    >>> nab_windows([100.0, 110.0], 30.0)
    [(85.0, 115.0), (115.0, 125.0)]
    """
    times = np.sort(np.asarray(changepoint_times, dtype=np.float64))
    bounds = [[float(t) - window / 2, float(t) + window / 2] for t in times]
    for i in range(len(bounds) - 1):
        if bounds[i][1] >= bounds[i + 1][0]:
            bounds[i + 1][0] = bounds[i][1]
    return [(a, b) for a, b in bounds]


def _tp_score(t0: float, hit: float, t1: float, a_tp: float, a_fp: float) -> float:
    x = np.linspace(-np.pi / 2, np.pi / 2, _DETAIL)
    y = (a_tp - a_fp) / 2 * -np.tanh(x) / np.tanh(np.pi / 2) + (a_tp - a_fp) / 2
    event = min(int((hit - t0) / (t1 - t0) * _DETAIL), _DETAIL - 1)
    return float(y[event] + a_fp)


def _nab_counts(
    windows: list[tuple[float, float]], pred_times: NDArray[np.float64]
) -> tuple[list[tuple[float, float, float]], int, int]:
    """(t0, first hit, t1) per detected window, missed windows, false positives."""
    if not windows:
        return [], 0, int(pred_times.size)
    hits: list[tuple[float, float, float]] = []
    missed = 0
    fps = int(np.sum(pred_times < windows[0][0]))
    for i, (a, b) in enumerate(windows):
        inside = pred_times[(pred_times >= a) & (pred_times <= b)]
        if inside.size:
            hits.append((a, float(inside[0]), b))
        else:
            missed += 1
        nxt = windows[i + 1][0] if i + 1 < len(windows) else np.inf
        fps += int(np.sum((pred_times > b) & (pred_times < nxt)))
    return hits, missed, fps


def nab_score(
    times: Sequence[ArrayLike],
    true_changepoints: Sequence[ArrayLike],
    predicted_changepoints: Sequence[ArrayLike],
    *,
    window: float = 30.0,
    profile: str = "standard",
) -> float:
    """SKAB's NAB score in percent (0 = null detector, 100 = perfect).

    Parameters
    ----------
    times
        One array per file of point times in seconds (any monotone unit).
    true_changepoints, predicted_changepoints
        One 0/1 array per file, aligned with ``times``.
    window
        Width of the centred scoring window, in the unit of ``times``; SKAB's
        leaderboard uses 30 s.
    profile
        ``standard``, ``low_fp`` or ``low_fn``.

    Examples
    --------
    >>> t = [list(range(100))]
    >>> cp = [[1 if i == 50 else 0 for i in range(100)]]
    >>> early = [[1 if i == 35 else 0 for i in range(100)]]
    >>> nab_score(t, cp, early)
    100.0
    >>> nab_score(t, cp, [[0] * 100])
    0.0
    """
    if profile not in _NAB_PROFILES:
        raise ValueError(
            f"unknown NAB profile {profile!r}; use {sorted(_NAB_PROFILES)}"
        )
    a_tp, a_fp, a_fn = _NAB_PROFILES[profile]
    score = null = perfect = 0.0
    for t, cp, pred in zip(
        times, true_changepoints, predicted_changepoints, strict=True
    ):
        t_ = np.asarray(t, dtype=np.float64)
        windows = nab_windows(t_[np.asarray(cp) == 1], window)
        hits, missed, fps = _nab_counts(windows, t_[np.asarray(pred) == 1])
        score += a_fp * fps + a_fn * missed
        score += sum(_tp_score(a, h, b, a_tp, a_fp) for a, h, b in hits)
        null += len(windows) * a_fn
        perfect += len(windows) * a_tp
    if perfect == null:
        return 0.0
    return 100.0 * (score - null) / (perfect - null)


__all__ = [
    "BinaryScores",
    "binary_scores",
    "changepoints_from_labels",
    "nab_score",
    "nab_windows",
]
