"""The MLflow-backed registry: records, aliases, loading, code version."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiwerk.core.models import (
    Alias,
    DatasetRef,
    ModelRegistry,
    code_version,
)
from kiwerk.errors import ConfigError, NotFound


class Doubler:
    """A tiny picklable model: predicts twice its input."""

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Twice ``X``."""
        return 2 * np.asarray(X)


def _register(registry: ModelRegistry, name: str = "m", f1: float = 0.9) -> int:
    record = registry.register(
        name,
        model=Doubler(),
        seed=5,
        params={"depth": 3},
        metrics={"f1": f1},
        cv_metrics={"f1.mean": f1 - 0.01, "f1.sd": 0.02},
        kpis={"cost": 10.0},
        datasets=[DatasetRef("sensors", 2, "c0ffee" * 10, 100)],
        explanation={"importance": {"x": 1.0}},
    )
    return record.version


def test_a_version_carries_its_facts(registry: ModelRegistry) -> None:
    """Datasets, params, metrics, KPIs, explanation and code version survive."""
    _register(registry)
    record = registry.record("m", 1)
    assert record.datasets == [DatasetRef("sensors", 2, "c0ffee" * 10, 100)]
    assert record.params == {"depth": "3"}
    assert record.metrics == {"f1": 0.9}
    assert record.cv_metrics == {"f1.mean": pytest.approx(0.89), "f1.sd": 0.02}
    assert record.kpis == {"cost": 10.0}
    assert record.explanation == {"importance": {"x": 1.0}}
    assert record.code_version == code_version().label
    assert record.seed == 5
    assert record.stage == "candidate"


def test_the_model_round_trips(registry: ModelRegistry) -> None:
    """The stored model predicts like the one registered."""
    _register(registry)
    model = registry.load(registry.record("m"))
    assert model.predict(np.array([1.0, 2.0])).tolist() == [2.0, 4.0]


def test_artifacts_stay_under_the_given_root(registry: ModelRegistry) -> None:
    """Run artifacts are written below the registry's artifact root."""
    _register(registry)
    assert registry.artifact_root is not None
    assert list(registry.artifact_root.rglob("model.joblib"))


def test_lookup_by_number_alias_and_newest(registry: ModelRegistry) -> None:
    """Versions are found by number, alias, newest; resolve prefers production."""
    _register(registry)
    _register(registry, f1=0.8)
    assert registry.record("m").version == 2
    assert registry.record("m", "candidate").version == 2
    assert registry.record("m", "1").version == 1
    assert registry.resolve("m").version == 2
    registry.set_alias("m", Alias.PRODUCTION, 1)
    assert registry.resolve("m").version == 1
    assert registry.record("m", 1).stage == "production"
    assert registry.names() == ["m"]


@pytest.mark.parametrize(
    ("ref", "message"),
    [(7, "no version 7"), ("production", "no 'production' version")],
    ids=["number", "alias"],
)
def test_unknown_versions_are_named(
    registry: ModelRegistry, ref: str | int, message: str
) -> None:
    """A missing version or alias raises NotFound saying which."""
    _register(registry)
    with pytest.raises(NotFound, match=message):
        registry.record("m", ref)


def test_never_trained_model_names_the_fix(registry: ModelRegistry) -> None:
    """Asking for an unknown model says it was never trained and what to run."""
    with pytest.raises(NotFound, match="never trained; run `kiwerk train ghost`"):
        registry.resolve("ghost")


def test_empty_tracking_uri_is_a_config_error(tmp_path: Path) -> None:
    """An empty tracking URI is refused with a ConfigError."""
    with pytest.raises(ConfigError):
        ModelRegistry("", tmp_path)


def test_dataset_refs_round_trip_through_tags() -> None:
    """Several dataset refs come back from tags sorted by name."""
    refs = [DatasetRef("b", 1, "h1", 3), DatasetRef("a", 4, "h2", 9)]
    tags = {**refs[0].tags(), **refs[1].tags(), "other": "x"}
    assert DatasetRef.from_tags(tags) == sorted(refs, key=lambda r: r.name)
