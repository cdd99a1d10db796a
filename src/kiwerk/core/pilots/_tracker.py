"""The pilot tracker: goal KPI, baseline and the KPI measured per iteration.

Stored through SQLAlchemy so that the embedded default (SQLite under the
kiwerk home) and a PostgreSQL server behave the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa

from kiwerk.errors import Conflict, NotFound

Direction = Literal["lower", "higher"]

_metadata = sa.MetaData()
_pilots = sa.Table(
    "tracker_pilots",
    _metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("organisation", sa.String(200), nullable=False),
    sa.Column("use_case", sa.String(200), nullable=False),
    sa.Column("kpi", sa.String(200), nullable=False),
    sa.Column("unit", sa.String(50), nullable=False),
    sa.Column("direction", sa.String(10), nullable=False),
    sa.Column("baseline", sa.Float, nullable=False),
    sa.Column("goal", sa.Float, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)
_iterations = sa.Table(
    "tracker_iterations",
    _metadata,
    sa.Column("pilot", sa.ForeignKey("tracker_pilots.name"), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("kpi_value", sa.Float, nullable=False),
    sa.Column("models", sa.Text, nullable=False),
    sa.Column("datasets", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
)


@dataclass(frozen=True)
class Iteration:
    """One pilot iteration: the KPI measured with these model and data versions."""

    number: int
    kpi_value: float
    models: tuple[str, ...]
    datasets: tuple[str, ...]
    note: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class PilotRecord:
    """A tracked pilot and its iterations, oldest first."""

    name: str
    organisation: str
    use_case: str
    kpi: str
    unit: str
    direction: Direction
    baseline: float
    goal: float
    iterations: tuple[Iteration, ...]

    def progress(self, value: float) -> float:
        """Share of the way from baseline to goal that ``value`` reaches.

        Examples
        --------
        >>> p = PilotRecord("p", "o", "u", "downtime", "h", "lower", 100.0, 60.0, ())
        >>> p.progress(80.0)
        0.5
        """
        span = self.goal - self.baseline
        return 0.0 if span == 0 else (value - self.baseline) / span

    @property
    def goal_reached(self) -> bool:
        """True when the latest iteration meets the goal."""
        if not self.iterations:
            return False
        latest = self.iterations[-1].kpi_value
        return latest <= self.goal if self.direction == "lower" else latest >= self.goal


class PilotTracker:
    """Pilots with a goal KPI, a baseline and measured iterations.

    Parameters
    ----------
    url
        SQLAlchemy database URL, e.g. ``sqlite:///home/kiwerk.db`` or
        ``postgresql+psycopg://user@host/kiwerk``.

    Examples
    --------
    >>> tracker = PilotTracker("sqlite://")
    >>> _ = tracker.create("line-3", organisation="acme", use_case="failure-prediction",
    ...     kpi="unplanned downtime", unit="h/month", direction="lower",
    ...     baseline=40.0, goal=30.0, actor="ana")
    >>> tracker.record("line-3", kpi_value=35.0, models=["industry-failure:1"],
    ...     datasets=["ai4i:1"], actor="ana").number
    1
    >>> tracker.get("line-3").progress(35.0)
    0.5
    """

    def __init__(self, url: str) -> None:
        self._engine = sa.create_engine(url)
        _metadata.create_all(self._engine)

    def close(self) -> None:
        """Release the engine's connections."""
        self._engine.dispose()

    def create(
        self,
        name: str,
        *,
        organisation: str,
        use_case: str,
        kpi: str,
        unit: str,
        direction: Direction,
        baseline: float,
        goal: float,
        actor: str,
    ) -> PilotRecord:
        """Start tracking a pilot; the goal must improve on the baseline."""
        if direction not in ("lower", "higher"):
            raise ValueError(
                f"Expected direction 'lower' or 'higher', got {direction!r}."
            )
        better = goal < baseline if direction == "lower" else goal > baseline
        if not better:
            raise ValueError(
                f"Expected a goal {'below' if direction == 'lower' else 'above'} "
                f"the baseline {baseline}, got {goal}."
            )
        row = {
            "name": name,
            "organisation": organisation,
            "use_case": use_case,
            "kpi": kpi,
            "unit": unit,
            "direction": direction,
            "baseline": float(baseline),
            "goal": float(goal),
            "created_at": datetime.now(UTC),
            "created_by": actor,
        }
        with self._engine.begin() as conn:
            exists = conn.execute(
                sa.select(_pilots.c.name).where(_pilots.c.name == name)
            )
            if exists.first() is not None:
                raise Conflict.name_taken("tracked pilot", name)
            conn.execute(_pilots.insert().values(**row))
        return self.get(name)

    def record(
        self,
        name: str,
        *,
        kpi_value: float,
        models: list[str],
        datasets: list[str],
        actor: str,
        note: str = "",
    ) -> Iteration:
        """Record the KPI measured in the next iteration of a pilot."""
        with self._engine.begin() as conn:
            self._require(conn, name)
            last = conn.execute(
                sa.select(sa.func.max(_iterations.c.number)).where(
                    _iterations.c.pilot == name
                )
            ).scalar()
            number = (last or 0) + 1
            conn.execute(
                _iterations.insert().values(
                    pilot=name,
                    number=number,
                    kpi_value=float(kpi_value),
                    models=json.dumps(models),
                    datasets=json.dumps(datasets),
                    note=note,
                    recorded_at=datetime.now(UTC),
                    recorded_by=actor,
                )
            )
        return self.get(name).iterations[-1]

    def get(self, name: str) -> PilotRecord:
        """The pilot with its iterations."""
        with self._engine.connect() as conn:
            row = self._require(conn, name)
            its = conn.execute(
                sa.select(_iterations)
                .where(_iterations.c.pilot == name)
                .order_by(_iterations.c.number)
            ).mappings()
            iterations = tuple(
                Iteration(
                    number=r["number"],
                    kpi_value=r["kpi_value"],
                    models=tuple(json.loads(r["models"])),
                    datasets=tuple(json.loads(r["datasets"])),
                    note=r["note"],
                    recorded_at=r["recorded_at"],
                    recorded_by=r["recorded_by"],
                )
                for r in its
            )
        return PilotRecord(
            name=row["name"],
            organisation=row["organisation"],
            use_case=row["use_case"],
            kpi=row["kpi"],
            unit=row["unit"],
            direction=row["direction"],
            baseline=row["baseline"],
            goal=row["goal"],
            iterations=iterations,
        )

    def list(self, organisation: str | None = None) -> list[str]:
        """Names of the tracked pilots (of one organisation when given)."""
        query = sa.select(_pilots.c.name).order_by(_pilots.c.name)
        if organisation is not None:
            query = query.where(_pilots.c.organisation == organisation)
        with self._engine.connect() as conn:
            return [r[0] for r in conn.execute(query)]

    @staticmethod
    def _require(conn: sa.Connection, name: str) -> sa.RowMapping:
        row = (
            conn.execute(sa.select(_pilots).where(_pilots.c.name == name))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"no tracked pilot named {name!r}; create it first")
        return row
