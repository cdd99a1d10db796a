"""Costs, downtimes and rules of the maintenance-policy simulation."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class MaintenanceParams:
    """What each maintenance event costs and how the policies decide.

    Attributes
    ----------
    failure_cost
        An unplanned failure (repair, secondary damage, expediting), in currency units.
    planned_cost
        A planned maintenance (overhaul) done before failure.
    lost_life_cost
        Per cycle of useful life thrown away by maintaining early.
    failure_downtime_h, planned_downtime_h
        Hours out of service per unplanned failure / planned maintenance.
    threshold
        Predictive policy: maintain once the lower interval bound of the RUL
        is at or below this many cycles.
    alpha
        Predictive policy: the interval is the conformal ``1 - alpha`` one.
    intervals
        Fixed-interval policy: the maintenance ages (cycles) swept; the best
        one (lowest cost on the fleet itself, an oracle choice) is reported.
    """

    failure_cost: float = 100_000.0
    planned_cost: float = 20_000.0
    lost_life_cost: float = 100.0
    failure_downtime_h: float = 72.0
    planned_downtime_h: float = 8.0
    threshold: float = 10.0
    alpha: float = 0.1
    intervals: tuple[int, ...] = tuple(range(50, 401, 5))

    def __post_init__(self) -> None:
        """Refuse negative costs, empty sweeps and impossible levels."""
        for name in (
            "failure_cost",
            "planned_cost",
            "lost_life_cost",
            "failure_downtime_h",
            "planned_downtime_h",
            "threshold",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"Expected {name} >= 0, got {getattr(self, name)}.")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"Expected alpha in (0, 1), got {self.alpha}.")
        if not self.intervals or min(self.intervals) < 1:
            raise ValueError("Expected a non-empty sweep of intervals >= 1 cycle.")

    @classmethod
    def from_toml(cls, path: Path) -> MaintenanceParams:
        """Read parameters from a flat TOML table."""
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(
                f"{path}: unknown maintenance parameters {sorted(unknown)}."
            )
        if "intervals" in data:
            data["intervals"] = tuple(int(v) for v in data["intervals"])
        return cls(**data)
