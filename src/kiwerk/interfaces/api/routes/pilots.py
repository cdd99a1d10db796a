"""``/pilots``: the pilot tracker — goal KPI, baseline, iterations, reports.

A tracked pilot belongs to an organisation: its members read it, analysts
and owners create it and record iterations; everyone else gets 404.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from kiwerk.core.pilots import PilotRecord, tracker_html, tracker_pdf
from kiwerk.errors import NotFound
from kiwerk.interfaces.api.deps import Principal, PrincipalDep, Services, ServicesDep
from kiwerk.interfaces.api.errors import ProblemError, problem_responses
from kiwerk.interfaces.api.pilot_schemas import (
    IterationCreate,
    IterationPublic,
    PilotCreate,
    PilotPublic,
)
from kiwerk.interfaces.api.routes._access import member_role
from kiwerk.interfaces.api.schemas import Name

router = APIRouter(prefix="/pilots", tags=["pilots"])
_ERRORS = problem_responses(401, 403, 404, 409, 422, 429)
_FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The one-page report as a file",
        "content": {"application/pdf": {}, "text/html": {}},
    }
}


def _public(record: PilotRecord) -> PilotPublic:
    last = record.iterations[-1].kpi_value if record.iterations else None
    return PilotPublic(
        name=record.name,
        organisation=record.organisation,
        use_case=record.use_case,
        kpi=record.kpi,
        unit=record.unit,
        direction=record.direction,
        baseline=record.baseline,
        goal=record.goal,
        iterations=[IterationPublic.model_validate(i) for i in record.iterations],
        progress=None if last is None else round(record.progress(last), 4),
        goal_reached=record.goal_reached,
    )


def _visible(services: Services, principal: Principal, name: str) -> PilotRecord:
    """The pilot if the caller belongs to its organisation; else 404."""
    try:
        record = services.tracker.get(name)
    except NotFound:
        record = None
    if record is None or record.organisation not in services.roles.get(principal.actor):
        raise ProblemError(404, f"tracked pilot {name!r} not found")
    return record


def _require_analyst(services: Services, principal: Principal, org: str) -> None:
    services.pool.require_role(principal.actor, org, "analyst")


@router.get("", response_model=list[PilotPublic], responses=_ERRORS)
def list_pilots(services: ServicesDep, principal: PrincipalDep) -> list[PilotPublic]:
    """The tracked pilots of the caller's organisations."""
    t = services.tracker
    orgs = sorted(services.roles.get(principal.actor))
    return [_public(t.get(name)) for org in orgs for name in t.list(org)]


@router.post("", status_code=201, response_model=PilotPublic, responses=_ERRORS)
def create_pilot(
    services: ServicesDep, principal: PrincipalDep, body: PilotCreate
) -> PilotPublic:
    """Start tracking a pilot (analysts and owners of its organisation)."""
    member_role(services.pool, principal, body.organisation)
    _require_analyst(services, principal, body.organisation)
    record = services.tracker.create(
        body.name,
        organisation=body.organisation,
        use_case=body.use_case,
        kpi=body.kpi,
        unit=body.unit,
        direction=body.direction,
        baseline=body.baseline,
        goal=body.goal,
        actor=principal.actor,
    )
    services.pool.audit.append(
        principal.actor,
        "track_pilot",
        f"{body.organisation}/{body.name}",
        {"kpi": body.kpi, "baseline": body.baseline, "goal": body.goal},
    )
    return _public(record)


@router.get("/{name}", response_model=PilotPublic, responses=_ERRORS)
def show_pilot(
    services: ServicesDep, principal: PrincipalDep, name: Name
) -> PilotPublic:
    """One tracked pilot with its iterations."""
    return _public(_visible(services, principal, name))


@router.post(
    "/{name}/iterations",
    status_code=201,
    response_model=IterationPublic,
    responses=_ERRORS,
)
def record_iteration(
    services: ServicesDep, principal: PrincipalDep, name: Name, body: IterationCreate
) -> IterationPublic:
    """Record the KPI of the next iteration (analysts and owners)."""
    record = _visible(services, principal, name)
    _require_analyst(services, principal, record.organisation)
    iteration = services.tracker.record(
        name,
        kpi_value=body.kpi_value,
        models=body.models,
        datasets=body.datasets,
        note=body.note,
        actor=principal.actor,
    )
    services.pool.audit.append(
        principal.actor,
        "record_iteration",
        f"{record.organisation}/{name}",
        {"number": iteration.number, "kpi_value": body.kpi_value},
    )
    return IterationPublic.model_validate(iteration)


@router.get("/{name}/report", response_class=Response, responses={**_ERRORS, **_FILES})
def report(
    services: ServicesDep,
    principal: PrincipalDep,
    name: Name,
    format: Annotated[Literal["html", "pdf"], Query()] = "pdf",
) -> Response:
    """The one-page steering-committee report as PDF or HTML (a download)."""
    record = _visible(services, principal, name)
    if format == "html":
        title = html.escape(f"Pilot report: {record.name}")
        body = tracker_html(record)
        content = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body>{body}</body></html>"
        ).encode()
        media = "text/html; charset=utf-8"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "pilot.pdf"
            tracker_pdf(record, path)
            content = path.read_bytes()
        media = "application/pdf"
    filename = f"pilot-{record.name}.{format}"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
