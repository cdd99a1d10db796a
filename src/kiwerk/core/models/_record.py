"""What the registry knows about one registered model version."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Alias(StrEnum):
    """Aliases a model version moves through: new versions start as candidates.

    Examples
    --------
    >>> Alias.PRODUCTION == "production"
    True
    """

    CANDIDATE = "candidate"
    PRODUCTION = "production"


@dataclass(frozen=True)
class DatasetRef:
    """One pool dataset version a model was trained on, and its owning org.

    Examples
    --------
    >>> ref = DatasetRef("ai4i", 3, "ab" * 32, 10000, org="plant")
    >>> DatasetRef.from_tags(ref.tags()) == [ref]
    True
    """

    name: str
    version: int
    content_hash: str
    rows: int
    org: str = ""

    def tags(self) -> dict[str, str]:
        """The registry tags that record this reference."""
        prefix = f"dataset.{self.name}"
        return {
            f"{prefix}.version": str(self.version),
            f"{prefix}.content_hash": self.content_hash,
            f"{prefix}.rows": str(self.rows),
            f"{prefix}.org": self.org,
        }

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> list[DatasetRef]:
        """Every dataset reference recorded in ``tags``, sorted by name."""
        names = sorted(
            k.removeprefix("dataset.").removesuffix(".version")
            for k in tags
            if k.startswith("dataset.") and k.endswith(".version")
        )
        return [
            cls(
                name=n,
                version=int(tags[f"dataset.{n}.version"]),
                content_hash=tags.get(f"dataset.{n}.content_hash", ""),
                rows=int(tags.get(f"dataset.{n}.rows", "0")),
                org=tags.get(f"dataset.{n}.org", ""),
            )
            for n in names
        ]


@dataclass(frozen=True)
class ModelRecord:
    """A registered model version with everything it carries.

    Parameters
    ----------
    name
        The registered model's name (the pilot's name).
    version
        The registry's version number.
    run_id
        The MLflow run that trained it.
    aliases
        ``candidate`` and/or ``production`` where set.
    tags
        Every tag of the version (datasets, params, metrics, code, explanation).
    created_ms
        Creation time, milliseconds since the epoch.
    """

    name: str
    version: int
    run_id: str
    aliases: tuple[str, ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    created_ms: int = 0

    @property
    def metrics(self) -> dict[str, float]:
        """Test-split metrics (``metric.test.*`` tags)."""
        return _numbers(self.tags, "metric.test.")

    @property
    def cv_metrics(self) -> dict[str, float]:
        """Cross-validation metrics on the training part (``metric.cv.*``)."""
        return _numbers(self.tags, "metric.cv.")

    @property
    def kpis(self) -> dict[str, float]:
        """Business KPIs on the test split (``kpi.*`` tags)."""
        return _numbers(self.tags, "kpi.")

    @property
    def params(self) -> dict[str, str]:
        """Training parameters (``param.*`` tags)."""
        return {
            k.removeprefix("param."): v
            for k, v in self.tags.items()
            if k.startswith("param.")
        }

    @property
    def datasets(self) -> list[DatasetRef]:
        """The pool dataset versions it was trained on."""
        return DatasetRef.from_tags(self.tags)

    @property
    def code_version(self) -> str:
        """kiwerk version and git commit it was trained with."""
        return self.tags.get("code.version", "unknown")

    @property
    def seed(self) -> int:
        """The seed of the training run."""
        return int(self.tags.get("seed", "0"))

    @property
    def explanation(self) -> dict[str, Any]:
        """The explanation summary (global importance) recorded at training."""
        text = self.tags.get("explanation.summary")
        return dict(json.loads(text)) if text else {}

    @property
    def stage(self) -> str:
        """``production`` when it holds that alias, else ``candidate``/``archived``."""
        if Alias.PRODUCTION in self.aliases:
            return str(Alias.PRODUCTION)
        return str(Alias.CANDIDATE) if Alias.CANDIDATE in self.aliases else "archived"


def _numbers(tags: Mapping[str, str], prefix: str) -> dict[str, float]:
    return {
        k.removeprefix(prefix): float(v)
        for k, v in tags.items()
        if k.startswith(prefix)
    }
