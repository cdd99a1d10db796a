"""``/readiness``: the readiness check — questionnaire, scored profile, reports.

The rules (questions, scores, levels, blockers, use cases) are kiwerk's
``readiness.toml``; these endpoints only apply them. Nothing is stored: the
answers come with each request and the report goes back.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from kiwerk.core.pilots import (
    ReadinessReport,
    ReadinessRules,
    assess,
    load_rules,
    to_html,
    to_pdf,
)
from kiwerk.interfaces.api.deps import get_principal
from kiwerk.interfaces.api.errors import problem_responses
from kiwerk.interfaces.api.pilot_schemas import (
    BlockerPublic,
    OptionPublic,
    Questionnaire,
    QuestionPublic,
    RankedUseCasePublic,
    ReadinessAnswers,
    ReadinessResult,
    RoadmapPhase,
)

# Any signed-in caller may run the check; it reads and stores nothing of theirs.
router = APIRouter(
    prefix="/readiness", tags=["readiness"], dependencies=[Depends(get_principal)]
)
_ERRORS = problem_responses(401, 403, 422, 429)
_FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as a file",
        "content": {"application/pdf": {}, "text/html": {}},
    }
}


@lru_cache(maxsize=1)
def rules() -> ReadinessRules:
    """The shipped rules, parsed once."""
    return load_rules()


@router.get("", response_model=Questionnaire, responses=_ERRORS)
def questionnaire() -> Questionnaire:
    """The questionnaire: dimensions, questions with their options, sectors."""
    r = rules()
    return Questionnaire(
        dimensions=dict(r.dimensions),
        levels=list(r.levels),
        questions=[
            QuestionPublic(
                id=q.id,
                dimension=q.dimension,
                text=q.text,
                options=[OptionPublic(label=o.label, score=o.score) for o in q.options],
                blocker=q.blocker,
            )
            for q in r.questions
        ],
        sectors=sorted({u.sector for u in r.use_cases}),
        gap_below=r.gap_below,
    )


def _assess(body: ReadinessAnswers) -> ReadinessReport:
    return assess(body.answers, rules(), sectors=body.sectors)


@router.post("", response_model=ReadinessResult, responses=_ERRORS)
def check(body: ReadinessAnswers) -> ReadinessResult:
    """Score answers: profile per dimension, blockers, gaps, use cases, roadmap.

    An answer is an option's 0-based index or its label; a question left
    out counts 0 and is listed in ``open_questions``.
    """
    report = _assess(body)
    return ReadinessResult(
        dimensions=dict(rules().dimensions),
        scores=dict(report.scores),
        levels=dict(report.levels),
        ready=report.ready,
        blockers=[
            BlockerPublic(id=q.id, text=q.text, action=q.action)
            for q in report.blockers
        ],
        gaps=list(report.gaps),
        open_questions=list(report.open_questions),
        ranking=[
            RankedUseCasePublic(
                id=r.use_case.id,
                title=r.use_case.title,
                sector=r.use_case.sector,
                pilot=r.use_case.pilot,
                kpi=r.use_case.kpi,
                data=list(r.use_case.data),
                fit=r.fit,
                missing=dict(r.missing),
            )
            for r in report.ranking
        ],
        roadmap=[RoadmapPhase(phase=p, steps=list(s)) for p, s in report.roadmap],
    )


@router.post("/report", response_class=Response, responses={**_ERRORS, **_FILES})
def report(
    body: ReadinessAnswers,
    format: Annotated[Literal["html", "pdf"], Query()] = "pdf",
) -> Response:
    """The report as a one-page PDF or a self-contained HTML page (a download)."""
    result = _assess(body)
    if format == "html":
        content = to_html(result, rules(), title=body.title).encode("utf-8")
        media = "text/html; charset=utf-8"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "readiness.pdf"
            to_pdf(result, rules(), path, title=body.title)
            content = path.read_bytes()
        media = "application/pdf"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="readiness.{format}"'},
    )
