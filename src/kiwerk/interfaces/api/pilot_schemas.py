"""Bodies of the playbook endpoints: the readiness check and the pilot tracker."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kiwerk.interfaces.api.schemas import Name

Answer = int | str


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class OptionPublic(_Out):
    """One answer option and its score (0 absent … 3 established)."""

    label: str
    score: int


class QuestionPublic(_Out):
    """One question; ``blocker`` is the least score that does not block a pilot."""

    id: str = Field(examples=["data.recorded"])
    dimension: str = Field(examples=["data"])
    text: str
    options: list[OptionPublic]
    blocker: int | None = None


class Questionnaire(_Out):
    """The readiness questionnaire with its dimensions, levels and sectors."""

    dimensions: dict[str, str] = Field(examples=[{"data": "Data"}])
    levels: list[tuple[float, str]]
    questions: list[QuestionPublic]
    sectors: list[str] = Field(examples=[["health", "industry", "mobility"]])
    gap_below: float


class ReadinessAnswers(BaseModel):
    """Answers (question id → option index or label) and the sectors to rank."""

    answers: dict[str, Answer] = Field(
        max_length=500, examples=[{"data.recorded": 2, "privacy.dpia": "Done"}]
    )
    sectors: list[str] | None = Field(default=None, max_length=20)
    title: str = Field(default="kiwerk readiness check", max_length=200)


class BlockerPublic(_Out):
    """A question whose answer blocks a pilot, and what to do about it."""

    id: str
    text: str
    action: str


class RankedUseCasePublic(_Out):
    """A use case of the catalogue and how well the profile fits it."""

    id: str
    title: str
    sector: str
    pilot: str
    kpi: str
    data: list[str]
    fit: float = Field(examples=[0.8])
    missing: dict[str, tuple[float, float]] = Field(
        description="dimension → (score, required) where the score falls short"
    )


class RoadmapPhase(_Out):
    """One phase of the roadmap: start small, measure, iterate."""

    phase: str
    steps: list[str]


class ReadinessResult(_Out):
    """The maturity profile, what blocks a pilot, ranked use cases, the roadmap."""

    dimensions: dict[str, str]
    scores: dict[str, float] = Field(examples=[{"data": 66.7}])
    levels: dict[str, str] = Field(examples=[{"data": "defined"}])
    ready: bool
    blockers: list[BlockerPublic]
    gaps: list[str]
    open_questions: list[str]
    ranking: list[RankedUseCasePublic]
    roadmap: list[RoadmapPhase]


class PilotCreate(BaseModel):
    """A pilot to track: its goal KPI, the baseline and the goal."""

    name: Name = Field(examples=["line-3-downtime"])
    organisation: Name = Field(examples=["industry"])
    use_case: str = Field(min_length=1, max_length=200, examples=["failure-prediction"])
    kpi: str = Field(min_length=1, max_length=200, examples=["unplanned downtime"])
    unit: str = Field(min_length=1, max_length=50, examples=["h/month"])
    direction: Literal["lower", "higher"] = Field(examples=["lower"])
    baseline: float = Field(allow_inf_nan=False, examples=[40.0])
    goal: float = Field(allow_inf_nan=False, examples=[30.0])


class IterationCreate(BaseModel):
    """The KPI measured in the next iteration, with the versions it used."""

    kpi_value: float = Field(allow_inf_nan=False, examples=[35.0])
    models: list[str] = Field(default=[], max_length=50, examples=[["m:1"]])
    datasets: list[str] = Field(default=[], max_length=50, examples=[["ai4i:1"]])
    note: str = Field(default="", max_length=2000)


class IterationPublic(_Out):
    """One recorded iteration."""

    number: int
    kpi_value: float
    models: list[str]
    datasets: list[str]
    note: str
    recorded_at: datetime
    recorded_by: str


class PilotPublic(_Out):
    """A tracked pilot with its iterations and progress towards the goal."""

    name: str
    organisation: str
    use_case: str
    kpi: str
    unit: str
    direction: Literal["lower", "higher"]
    baseline: float
    goal: float
    iterations: list[IterationPublic]
    progress: float | None = Field(
        description="share of the way from baseline to goal of the latest iteration"
    )
    goal_reached: bool


__all__ = [
    "BlockerPublic",
    "IterationCreate",
    "IterationPublic",
    "OptionPublic",
    "PilotCreate",
    "PilotPublic",
    "QuestionPublic",
    "Questionnaire",
    "RankedUseCasePublic",
    "ReadinessAnswers",
    "ReadinessResult",
    "RoadmapPhase",
]
