"""Promotion from candidate to production: owners only, metric rule, audited."""

from __future__ import annotations

from typing import Any

import pytest

from kiwerk.core.models import (
    DatasetRef,
    ModelRegistry,
    PromotionRefused,
    PromotionRule,
    promote,
)
from kiwerk.errors import AccessDenied


class Ledger:
    """Records audit entries in order."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str, dict[str, Any] | None]] = []

    def append(
        self,
        actor: str,
        action: str,
        target: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Record one entry."""
        self.entries.append((actor, action, target, details))


class Owners:
    """A governance with a fixed set of (actor, org) owners and a ledger."""

    def __init__(self, owners: set[tuple[str, str]]) -> None:
        self.owners = owners
        self.audit = Ledger()

    def require_role(self, actor: str, org: str, role: str) -> None:
        """Raise AccessDenied unless ``actor`` owns ``org``."""
        if role != "owner" or (actor, org) not in self.owners:
            raise AccessDenied(f"{actor} is not an {role} of {org}")


def _register(registry: ModelRegistry, f1: float) -> int:
    return registry.register(
        "m",
        model=1,
        seed=0,
        params={},
        metrics={"f1": f1},
        cv_metrics={},
        kpis={},
        datasets=[DatasetRef("d", 1, "h", 5)],
        explanation={},
    ).version


@pytest.mark.parametrize(
    ("rule", "metrics", "production", "passes"),
    [
        (PromotionRule("f1", 0.8), {"f1": 0.85}, None, True),  # above the bar
        (PromotionRule("f1", 0.8), {"f1": 0.75}, None, False),  # below the bar
        (PromotionRule("f1", 0.8), {"auc": 0.99}, None, False),  # metric absent
        (PromotionRule("f1", 0.8), {"f1": 0.85}, {"f1": 0.9}, False),  # worse than prod
        (
            PromotionRule("f1", 0.8, beat_production=False),
            {"f1": 0.85},
            {"f1": 0.9},
            True,
        ),  # prod comparison off
        (
            PromotionRule("rmse", 14, higher_is_better=False),
            {"rmse": 12.0},
            {"rmse": 13.0},
            True,
        ),  # lower is better
    ],
)
def test_rule_table(
    rule: PromotionRule,
    metrics: dict[str, float],
    production: dict[str, float] | None,
    passes: bool,
) -> None:
    """The rule passes exactly when the metric clears the bar (and production)."""
    assert rule.check(metrics, production)[0] is passes


def test_owner_promotes_a_passing_candidate_and_it_is_audited(
    registry: ModelRegistry,
) -> None:
    """An owner's promotion sets the production alias and writes an audit entry."""
    version = _register(registry, 0.9)
    gov = Owners({("ada", "plant")})
    record = promote(
        registry,
        "m",
        version,
        actor="ada",
        org="plant",
        governance=gov,
        rule=PromotionRule("f1", 0.8),
    )
    assert record.stage == "production"
    [(actor, action, target, details)] = gov.audit.entries
    assert (actor, action, target) == ("ada", "model.promote", "model:m/1")
    assert details is not None
    assert details["datasets"] == {"d": "h"}


def test_non_owner_cannot_promote(registry: ModelRegistry) -> None:
    """A user without the owner role is refused and nothing changes."""
    version = _register(registry, 0.9)
    gov = Owners({("ada", "plant")})
    with pytest.raises(AccessDenied):
        promote(
            registry,
            "m",
            version,
            actor="bob",
            org="plant",
            governance=gov,
            rule=PromotionRule("f1", 0.8),
        )
    assert registry.record("m", version).stage == "candidate"


def test_failing_candidate_stays_candidate_and_refusal_is_audited(
    registry: ModelRegistry,
) -> None:
    """A version below the bar is refused, keeps its stage, and the audit says so."""
    good = _register(registry, 0.9)
    gov = Owners({("ada", "plant")})
    rule = PromotionRule("f1", 0.8)
    promote(registry, "m", good, actor="ada", org="plant", governance=gov, rule=rule)
    worse = _register(registry, 0.85)
    with pytest.raises(PromotionRefused, match=r"production has 0\.9"):
        promote(
            registry, "m", worse, actor="ada", org="plant", governance=gov, rule=rule
        )
    assert registry.resolve("m").version == good
    assert [e[1] for e in gov.audit.entries] == [
        "model.promote",
        "model.promote.refused",
    ]
