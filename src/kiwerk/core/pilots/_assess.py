"""Apply the readiness rules to a set of answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kiwerk.core.pilots._readiness import (
    Question,
    RankedUseCase,
    ReadinessReport,
    ReadinessRules,
    UseCase,
)
from kiwerk.errors import DataFormatError

Answer = int | str


def assess(
    answers: Mapping[str, Answer],
    rules: ReadinessRules,
    *,
    sectors: Iterable[str] | None = None,
) -> ReadinessReport:
    """Score answers into a maturity profile, gaps, ranked use cases and a roadmap.

    Parameters
    ----------
    answers
        Question id → the chosen option, as its 0-based index or its label.
    rules
        The rules from :func:`load_rules`.
    sectors
        Only rank use cases of these sectors (all when omitted).

    Examples
    --------
    >>> from kiwerk.core.pilots import load_rules
    >>> rules = load_rules()
    >>> best = {q.id: len(q.options) - 1 for q in rules.questions}
    >>> report = assess(best, rules)
    >>> report.ready, report.scores["data"], report.levels["data"]
    (True, 100.0, 'optimising')
    """
    chosen = {qid: _option_score(rules, qid, a) for qid, a in answers.items()}
    scores: dict[str, float] = {}
    for dim in rules.dimensions:
        qs = [q for q in rules.questions if q.dimension == dim]
        total = sum(chosen.get(q.id, 0) for q in qs)
        scores[dim] = round(100.0 * total / (rules.max_option_score * len(qs)), 1)
    levels = {d: _level(rules, s) for d, s in scores.items()}
    blockers = tuple(
        q
        for q in rules.questions
        if q.blocker is not None and chosen.get(q.id, 0) < q.blocker
    )
    gaps = tuple(d for d, s in scores.items() if s < rules.gap_below)
    open_questions = tuple(q.id for q in rules.questions if q.id not in chosen)
    wanted = set(sectors) if sectors is not None else None
    ranking = tuple(
        sorted(
            (
                _rank(u, scores)
                for u in rules.use_cases
                if wanted is None or u.sector in wanted
            ),
            key=lambda r: (-r.fit, -_mean_required(r.use_case, scores), r.use_case.id),
        )
    )
    weak = [q for q in rules.questions if q not in blockers and chosen.get(q.id, 0) < 2]
    roadmap = _roadmap(blockers, weak, ranking, gaps)
    return ReadinessReport(
        scores=scores,
        levels=levels,
        blockers=blockers,
        gaps=gaps,
        open_questions=open_questions,
        ranking=ranking,
        roadmap=roadmap,
    )


def _option_score(rules: ReadinessRules, question_id: str, answer: Answer) -> int:
    try:
        question = rules.question(question_id)
    except KeyError:
        raise DataFormatError(
            "unknown question; see `kiwerk readiness questions`", field=question_id
        ) from None
    labels = [o.label for o in question.options]
    if isinstance(answer, int) and not isinstance(answer, bool):
        if 0 <= answer < len(labels):
            return question.options[answer].score
    elif isinstance(answer, str):
        for option in question.options:
            if option.label.casefold() == answer.strip().casefold():
                return option.score
    raise DataFormatError(
        f"answer {answer!r} is not one of {labels} (or an index 0..{len(labels) - 1})",
        field=question_id,
    )


def _level(rules: ReadinessRules, score: float) -> str:
    name = rules.levels[0][1]
    for minimum, level in rules.levels:
        if score >= minimum:
            name = level
    return name


def _rank(use_case: UseCase, scores: Mapping[str, float]) -> RankedUseCase:
    ratios = [
        min(1.0, scores[d] / need) if need > 0 else 1.0
        for d, need in use_case.requires.items()
    ]
    missing = {
        d: (scores[d], need)
        for d, need in use_case.requires.items()
        if scores[d] < need
    }
    return RankedUseCase(use_case=use_case, fit=round(min(ratios), 3), missing=missing)


def _mean_required(use_case: UseCase, scores: Mapping[str, float]) -> float:
    return sum(scores[d] for d in use_case.requires) / len(use_case.requires)


def _roadmap(
    blockers: tuple[Question, ...],
    weak: list[Question],
    ranking: tuple[RankedUseCase, ...],
    gaps: tuple[str, ...],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    steps: list[tuple[str, tuple[str, ...]]] = []
    if blockers:
        steps.append(("Close what blocks a pilot", tuple(q.action for q in blockers)))
    if ranking:
        top = ranking[0].use_case
        start = [
            f"Pilot '{top.title}' (kiwerk pilot {top.pilot}) on one line, "
            "ward or district.",
            f"Bring the data it needs: {', '.join(top.data)}.",
            f"Measure the baseline of the goal KPI ({top.kpi}) before the first model.",
        ]
        start += [
            f"Raise {d} from {have:.0f} to {need:.0f} for this use case."
            for d, (have, need) in ranking[0].missing.items()
        ]
        steps.append(("Start small", tuple(start)))
    steps.append(
        (
            "Measure",
            (
                "Record the KPI for each pilot iteration with its model and data "
                "versions.",
                "Compare against the baseline in the pilot tracker; keep the model "
                "card current.",
            ),
        )
    )
    iterate = [q.action for q in weak[:5]]
    if gaps:
        iterate.append(f"Strengthen the weakest dimensions: {', '.join(gaps)}.")
    iterate.append("Decide with the sponsor: stop, iterate, or scale to further sites.")
    steps.append(("Iterate", tuple(iterate)))
    return tuple(steps)
