"""``/jobs``: background jobs (training) and their progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam

from kiwerk.errors import NotFound
from kiwerk.interfaces.api.deps import PrincipalDep, ServicesDep
from kiwerk.interfaces.api.errors import ProblemError, problem_responses
from kiwerk.interfaces.api.routes._access import roles
from kiwerk.interfaces.api.schemas import JobPublic

router = APIRouter(prefix="/jobs", tags=["jobs"])
_ERRORS = problem_responses(401, 403, 404, 422, 429)


@router.get("", response_model=list[JobPublic], responses=_ERRORS)
def list_jobs(services: ServicesDep, principal: PrincipalDep) -> list[JobPublic]:
    """The newest jobs of the caller's organisations."""
    jobs = [
        j
        for org in roles(services.pool, principal.actor)
        for j in services.store.jobs(org)
    ]
    jobs.sort(key=lambda j: j.created_at, reverse=True)
    return [JobPublic.model_validate(j) for j in jobs[:100]]


@router.get("/{job_id}", response_model=JobPublic, responses=_ERRORS)
def show_job(
    services: ServicesDep,
    principal: PrincipalDep,
    job_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")],
) -> JobPublic:
    """One job with its status, progress and result."""
    try:
        job = services.store.job(job_id)
    except NotFound:
        job = None
    if job is None or job.org not in roles(services.pool, principal.actor):
        raise ProblemError(404, f"job {job_id!r} not found")
    return JobPublic.model_validate(job)
