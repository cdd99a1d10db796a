"""The parts a domain supplies to plug a pilot into the one pipeline.

A pilot is a :class:`DomainPipeline`: its data contract (pool datasets and
the columns a prediction request carries), the official split, a feature step,
a target, a model factory, metrics, KPIs, an explainer and the rule that gates
promotion. Training, evaluation, registry and serving are core code
(:func:`~kiwerk.core.pipeline.train_pilot`,
:func:`~kiwerk.core.pipeline.evaluate_pilot`,
:class:`~kiwerk.core.serving.ServedModel`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self

import numpy as np
import pandas as pd

from kiwerk.core.data import DatasetSpec
from kiwerk.core.explain import Explanation
from kiwerk.core.models import PromotionRule

if TYPE_CHECKING:
    from kiwerk.core.pipeline._search import SearchSpace


class Estimator(Protocol):
    """What a pilot's model factory returns: scikit-learn's verbs."""

    def fit(self, X: pd.DataFrame, y: Any) -> Self:
        """Learn from the feature table ``X`` and targets ``y``."""

    def predict(self, X: pd.DataFrame) -> Any:
        """Predict one value per row of ``X``."""


class ModelFactory(Protocol):
    """Builds an unfitted estimator; ``quick`` asks for a small budget (tests)."""

    def __call__(self, seed: int, *, quick: bool = False) -> Estimator:
        """A fresh estimator seeded with ``seed``."""


Folds = list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class InputColumn:
    """A column a prediction request must carry.

    Parameters
    ----------
    name
        Column name.
    kind
        ``number`` (finite numeric) or ``category`` (one of ``categories``).
    categories
        Allowed values of a ``category`` column.
    """

    name: str
    kind: Literal["number", "category"] = "number"
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "category" and not self.categories:
            raise ValueError(f"category column {self.name!r} needs its categories")


@dataclass(frozen=True)
class DatasetContract:
    """One pool dataset a pilot trains on.

    Parameters
    ----------
    name
        The dataset's name in the pool.
    locate
        Given the benchmark data folder, the file to ingest when the pool does
        not hold the dataset yet.
    spec
        The pool's data contract for the dataset, used when creating it.
    description
        One line for humans.
    convert
        Optional ``(located file, scratch folder) → file to ingest`` for
        sources the pool does not read directly (e.g. whitespace-separated
        text without a header): write a CSV or Parquet file into the scratch
        folder and return its path.
    """

    name: str
    locate: Callable[[Path], Path]
    spec: DatasetSpec | None = None
    description: str = ""
    convert: Callable[[Path, Path], Path] | None = None


@dataclass(frozen=True)
class DataContract:
    """Where a pilot's data comes from and what its requests look like.

    Parameters
    ----------
    datasets
        The pool datasets read for training (``purpose="train"``).
    org
        The organisation a new pool is bootstrapped with when the pilot's
        datasets are ingested into an empty pool; once the datasets exist,
        their owning organisation in the pool governs the pilot's models.
    inputs
        Columns every prediction request must carry.
    ignored
        Columns a request may carry that are never used (ids, labels).
    """

    datasets: tuple[DatasetContract, ...]
    org: str
    inputs: tuple[InputColumn, ...]
    ignored: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.datasets:
            raise ValueError("a data contract needs at least one dataset")
        names = [c.name for c in self.inputs]
        if len(set(names)) != len(names):
            raise ValueError("an input column is declared twice")


@dataclass(frozen=True)
class Split:
    """The official protocol's split: raw training and test frames."""

    train: pd.DataFrame
    test: pd.DataFrame


@dataclass(frozen=True)
class DomainPipeline:
    """A pilot: the parts a domain supplies to the shared pipeline.

    Parameters
    ----------
    name
        The pilot's name, also its registered model's name (``industry-failure``).
    title
        One line for humans.
    contract
        Datasets, owning organisation and request columns.
    split
        ``(frames by dataset name, seed) → Split``: the official protocol.
    features
        Raw frame → model inputs; used for training and for serving.
    target
        Raw frame → targets aligned with ``features(frame)``.
    model_factory
        ``(seed, quick=...) → unfitted estimator``.
    metrics
        ``(model, X, y) → {name: value}`` on one split.
    kpis
        ``(model, X, y) → {name: value}``: business figures on the test split.
    explainer
        ``(model, X) → Explanation`` with one row per row of ``X``.
    predict
        ``(model, X) → DataFrame``: the prediction table a request returns.
    cv
        ``(X, y, folds, seed) → [(train_idx, val_idx), ...]`` on training data.
    promotion
        The metric rule a version must pass to become production.
    cv_folds
        Number of cross-validation folds of the full (non-quick) run.
    search
        The hyper-parameter search space ``kiwerk tune`` explores; None when
        the pilot is not tunable.
    row_wise
        Whether a row's prediction depends on that row alone, so batch
        scoring may cut the rows anywhere (False for models over histories).
    """

    name: str
    title: str
    contract: DataContract
    split: Callable[[Mapping[str, pd.DataFrame], int], Split]
    features: Callable[[pd.DataFrame], pd.DataFrame]
    target: Callable[[pd.DataFrame], Any]
    model_factory: ModelFactory
    metrics: Callable[[Any, pd.DataFrame, Any], dict[str, float]]
    kpis: Callable[[Any, pd.DataFrame, Any], dict[str, float]]
    explainer: Callable[[Any, pd.DataFrame], Explanation]
    predict: Callable[[Any, pd.DataFrame], pd.DataFrame]
    cv: Callable[[pd.DataFrame, Any, int, int], Folds]
    promotion: PromotionRule
    cv_folds: int = 5
    tags: Mapping[str, str] = field(default_factory=dict)
    search: SearchSpace | None = None
    row_wise: bool = True

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").isalnum():
            raise ValueError(
                f"Expected a pilot name of letters, digits and '-', got {self.name!r}."
            )
        if self.cv_folds < 2:
            raise ValueError(f"Expected cv_folds ≥ 2, got {self.cv_folds}.")

    @property
    def dataset_names(self) -> Sequence[str]:
        """Names of the pool datasets the pilot trains on."""
        return [d.name for d in self.contract.datasets]
