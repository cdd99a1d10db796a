"""The readiness check: score a questionnaire into a maturity profile.

Every rule (questions, option scores, levels, blockers, the use-case catalogue
and what each use case requires) lives in ``readiness.toml`` beside this
module; this code only applies them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from kiwerk.errors import DataFormatError


@dataclass(frozen=True)
class Option:
    """One answer to a question and its score."""

    label: str
    score: int


@dataclass(frozen=True)
class Question:
    """One question of the questionnaire."""

    id: str
    dimension: str
    text: str
    options: tuple[Option, ...]
    action: str
    blocker: int | None = None


@dataclass(frozen=True)
class UseCase:
    """One entry of the pilot catalogue."""

    id: str
    title: str
    sector: str
    pilot: str
    kpi: str
    data: tuple[str, ...]
    requires: Mapping[str, float]


@dataclass(frozen=True)
class ReadinessRules:
    """The parsed rules file."""

    dimensions: Mapping[str, str]
    levels: tuple[tuple[float, str], ...]
    questions: tuple[Question, ...]
    use_cases: tuple[UseCase, ...]
    max_option_score: int
    gap_below: float

    def question(self, question_id: str) -> Question:
        """The question with this id."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)


@dataclass(frozen=True)
class RankedUseCase:
    """A use case with how well the profile fits it."""

    use_case: UseCase
    fit: float
    missing: Mapping[str, tuple[float, float]]


@dataclass(frozen=True)
class ReadinessReport:
    """The scored profile, its gaps, the ranked use cases and the roadmap."""

    scores: Mapping[str, float]
    levels: Mapping[str, str]
    blockers: tuple[Question, ...]
    gaps: tuple[str, ...]
    open_questions: tuple[str, ...]
    ranking: tuple[RankedUseCase, ...]
    roadmap: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @property
    def ready(self) -> bool:
        """True when no blocker holds a pilot back."""
        return not self.blockers


def load_rules(path: Path | None = None) -> ReadinessRules:
    """Parse the rules file (default: the one shipped with kiwerk).

    Examples
    --------
    >>> rules = load_rules()
    >>> sorted(rules.dimensions)[:2]
    ['data', 'governance']
    """
    if path is None:
        raw = (
            resources.files("kiwerk.core.pilots").joinpath("readiness.toml").read_text()
        )
        source = "readiness.toml"
    else:
        raw, source = path.read_text(encoding="utf-8"), str(path)
    try:
        doc = tomllib.loads(raw)
        return _parse_rules(doc)
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise DataFormatError(f"invalid readiness rules: {exc}", source=source) from exc


def _parse_rules(doc: dict[str, Any]) -> ReadinessRules:
    dimensions = {d["id"]: d["name"] for d in doc["dimension"]}
    questions = tuple(
        Question(
            id=q["id"],
            dimension=q["dimension"],
            text=q["text"],
            options=tuple(Option(o["label"], int(o["score"])) for o in q["options"]),
            action=q["action"],
            blocker=q.get("blocker"),
        )
        for q in doc["question"]
    )
    for q in questions:
        if q.dimension not in dimensions:
            raise KeyError(f"question {q.id} names unknown dimension {q.dimension}")
    use_cases = tuple(
        UseCase(
            id=u["id"],
            title=u["title"],
            sector=u["sector"],
            pilot=u["pilot"],
            kpi=u["kpi"],
            data=tuple(u["data"]),
            requires={k: float(v) for k, v in u["requires"].items()},
        )
        for u in doc["use_case"]
    )
    levels = tuple(sorted((float(lv["min"]), lv["name"]) for lv in doc["level"]))
    scoring = doc["scoring"]
    return ReadinessRules(
        dimensions=dimensions,
        levels=levels,
        questions=questions,
        use_cases=use_cases,
        max_option_score=int(scoring["max_option_score"]),
        gap_below=float(scoring["gap_below"]),
    )
