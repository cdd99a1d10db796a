"""Promotion of a model version from candidate to production.

Promotion is gated three ways: the acting user must be an owner of the
organisation that owns the pilot's data, the version must pass the pilot's
metric rule, and every decision is written to the pool's audit log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from kiwerk.core.models._record import Alias, ModelRecord
from kiwerk.core.models._registry import ModelRegistry
from kiwerk.errors import KiwerkError, NotFound


class PromotionRefused(KiwerkError, ValueError):
    """A model version does not meet the metric rule for production."""

    exit_code = 9


class AuditTrail(Protocol):
    """Where promotion decisions are recorded (the pool's audit log)."""

    def append(
        self,
        actor: str,
        action: str,
        target: str,
        details: dict[str, Any] | None = None,
    ) -> Any:
        """Append one entry."""


class Governance(Protocol):
    """Roles and audit: what :func:`promote` needs from the data pool."""

    @property
    def audit(self) -> AuditTrail:
        """The append-only audit log."""

    def require_role(self, actor: str, org: str, role: Literal["owner"]) -> Any:
        """Raise :class:`~kiwerk.errors.AccessDenied` unless ``actor`` has ``role``."""


@dataclass(frozen=True)
class PromotionRule:
    """The metric rule a version must pass to become production.

    Parameters
    ----------
    metric
        A test-split metric recorded with the version.
    minimum
        The metric must reach at least this (``higher_is_better``) or stay at
        most this (otherwise).
    higher_is_better
        Direction of the metric.
    beat_production
        Also require the candidate to be at least as good as the current
        production version.

    Examples
    --------
    >>> PromotionRule("f1", 0.85).check({"f1": 0.9}, None)
    (True, 'f1 = 0.9 ≥ 0.85')
    >>> PromotionRule("rmse", 14, higher_is_better=False).check({"rmse": 15.0}, None)
    (False, 'rmse = 15 > 14')
    """

    metric: str
    minimum: float
    higher_is_better: bool = True
    beat_production: bool = True

    def __post_init__(self) -> None:
        if not math.isfinite(self.minimum):
            raise ValueError(f"Expected a finite threshold, got {self.minimum}.")

    def _ok(self, value: float, bound: float) -> bool:
        return value >= bound if self.higher_is_better else value <= bound

    def check(
        self, metrics: dict[str, float], production: dict[str, float] | None
    ) -> tuple[bool, str]:
        """Whether ``metrics`` pass; the second item says why in words."""
        if self.metric not in metrics:
            return False, f"metric {self.metric!r} was not recorded"
        value = metrics[self.metric]
        good, bad = ("≥", "<") if self.higher_is_better else ("≤", ">")
        if not self._ok(value, self.minimum):
            return False, f"{self.metric} = {value:.4g} {bad} {self.minimum:.4g}"
        reason = f"{self.metric} = {value:.4g} {good} {self.minimum:.4g}"
        if self.beat_production and production and self.metric in production:
            current = production[self.metric]
            if not self._ok(value, current):
                return False, f"{reason}, but production has {current:.4g}"
            reason += f" and {good} production's {current:.4g}"
        return True, reason


def promote(
    registry: ModelRegistry,
    name: str,
    version: int,
    *,
    actor: str,
    org: str,
    governance: Governance,
    rule: PromotionRule,
) -> ModelRecord:
    """Make ``version`` of model ``name`` the production version.

    Raises
    ------
    AccessDenied
        When ``actor`` is not an owner of ``org``.
    NotFound
        When the model or version does not exist.
    PromotionRefused
        When the version fails ``rule``; the refusal is audited too.
    """
    governance.require_role(actor, org, "owner")
    record = registry.record(name, version)
    try:
        current: ModelRecord | None = registry.record(name, Alias.PRODUCTION)
    except NotFound:
        current = None
    if current is not None and current.version == record.version:
        return record
    passed, reason = rule.check(record.metrics, current.metrics if current else None)
    details = {
        "version": record.version,
        "rule": reason,
        "previous": current.version if current else None,
        "datasets": {d.name: d.content_hash for d in record.datasets},
    }
    target = f"model:{name}/{record.version}"
    if not passed:
        governance.audit.append(actor, "model.promote.refused", target, details)
        raise PromotionRefused(
            f"model {name!r} version {record.version} stays a candidate: {reason}"
        )
    registry.set_alias(name, Alias.PRODUCTION, record.version)
    governance.audit.append(actor, "model.promote", target, details)
    return registry.record(name, record.version)
