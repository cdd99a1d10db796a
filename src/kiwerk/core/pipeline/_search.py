"""A pilot's hyper-parameter search space, declared without any tuning engine.

A pilot that can be tuned sets ``DomainPipeline.search`` to a
:class:`SearchSpace`: named dimensions and a factory that turns one sampled
configuration into an unfitted estimator. Trial configurations are drawn up
front from a seeded generator, so every backend (in-process, Ray Tune) runs
exactly the same trials.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiwerk.core.pipeline._spec import Estimator

#: ``(config, seed, quick) → unfitted estimator``.
TunedFactory = Callable[[Mapping[str, Any], int, bool], Estimator]


@dataclass(frozen=True)
class Choice:
    """One of a few values, each equally likely."""

    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("Expected at least one value to choose from.")

    def sample(self, rng: np.random.Generator) -> Any:
        """One value drawn with ``rng``."""
        value = self.values[int(rng.integers(len(self.values)))]
        return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class Uniform:
    """A float in ``[low, high]``, uniform or (``log``) log-uniform."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"Expected low < high, got {self.low} and {self.high}.")
        if self.log and self.low <= 0:
            raise ValueError(f"Expected low > 0 on a log scale, got {self.low}.")

    def sample(self, rng: np.random.Generator) -> float:
        """One value drawn with ``rng``."""
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class IntRange:
    """An integer in ``[low, high]`` (both included), uniform."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"Expected low ≤ high, got {self.low} and {self.high}.")

    def sample(self, rng: np.random.Generator) -> int:
        """One value drawn with ``rng``."""
        return int(rng.integers(self.low, self.high + 1))


Dimension = Choice | Uniform | IntRange


@dataclass(frozen=True)
class SearchSpace:
    """What a pilot lets a tuner vary, and how to build a model from it.

    Parameters
    ----------
    dimensions
        Hyper-parameter name → its range.
    factory
        ``(config, seed, quick) → unfitted estimator``; ``quick`` shrinks the
        budget for tests as the pilot's ``model_factory`` does.
    metric
        The validation metric trials are ranked on (from the pilot's metrics).
    higher_is_better
        Direction of ``metric``.

    Examples
    --------
    >>> space = SearchSpace({"a": IntRange(1, 9), "b": Choice(("x", "y"))},
    ...                     factory=lambda c, s, q: None, metric="m")
    >>> space.sample(3, seed=0) == space.sample(3, seed=0)
    True
    >>> sorted(space.sample(1, seed=0)[0])
    ['a', 'b']
    """

    dimensions: Mapping[str, Dimension]
    factory: TunedFactory
    metric: str
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        if not self.dimensions:
            raise ValueError("Expected at least one dimension to search.")

    def sample(self, trials: int, seed: int) -> list[dict[str, Any]]:
        """``trials`` configurations drawn from ``np.random.default_rng(seed)``."""
        if trials < 1:
            raise ValueError(f"Expected trials ≥ 1, got {trials}.")
        rng = np.random.default_rng(seed)
        names = sorted(self.dimensions)
        return [
            {name: self.dimensions[name].sample(rng) for name in names}
            for _ in range(trials)
        ]
