"""Asynchronous successive halving (ASHA), the rule Ray Tune's scheduler applies.

The in-process tuner runs trials one after another under this rule; Ray Tune
runs them concurrently under :class:`ray.tune.schedulers.ASHAScheduler`
with the same milestones, so a sequential Ray run (one trial at a time) stops
exactly the same trials at the same folds.
"""

from __future__ import annotations

import math

import numpy as np


class Asha:
    """One ASHA bracket: rungs at ``grace · reduction^k`` below ``max_t``.

    A trial reaching a rung is stopped when its score is below the
    ``1 - 1/reduction`` quantile of the scores recorded at that rung so far
    (scores are "higher is better"; negate a loss).

    Parameters
    ----------
    max_t
        Resource of a full trial (here: validation folds).
    grace
        Resource before a trial can be stopped.
    reduction
        Keep one trial in ``reduction`` at each rung.

    Examples
    --------
    >>> asha = Asha(max_t=4, grace=1, reduction=2)
    >>> asha.milestones
    [4, 2, 1]
    >>> asha.report(0, 1, 0.5), asha.report(1, 1, 0.9), asha.report(2, 1, 0.1)
    (False, False, True)
    """

    def __init__(self, max_t: int, grace: int = 1, reduction: int = 2) -> None:
        if grace < 1 or max_t < grace:
            raise ValueError(f"Expected 1 ≤ grace ≤ max_t, got {grace} and {max_t}.")
        if reduction < 2:
            raise ValueError(f"Expected reduction ≥ 2, got {reduction}.")
        self.max_t = max_t
        self.reduction = reduction
        count = int(math.log(max_t / grace) / math.log(reduction) + 1)
        self.milestones = [grace * reduction**k for k in reversed(range(count))]
        self._recorded: dict[int, dict[int, float]] = {m: {} for m in self.milestones}

    def _cutoff(self, recorded: dict[int, float]) -> float | None:
        if not recorded:
            return None
        return float(
            np.nanpercentile(list(recorded.values()), (1 - 1 / self.reduction) * 100)
        )

    def report(self, trial: int, t: int, score: float) -> bool:
        """Record ``score`` of ``trial`` after resource ``t``; True means stop."""
        if t >= self.max_t:
            self._rung(trial, t, score)
            return True
        return self._rung(trial, t, score)

    def _rung(self, trial: int, t: int, score: float) -> bool:
        for milestone in self.milestones:
            recorded = self._recorded[milestone]
            if t < milestone or trial in recorded:
                continue
            cutoff = self._cutoff(recorded)
            recorded[trial] = score
            return cutoff is not None and score < cutoff
        return False
