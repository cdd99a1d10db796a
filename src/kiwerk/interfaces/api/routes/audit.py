"""``/audit``: the hash-chained audit log, as far as it concerns the caller.

The log is one chain for the whole pool; an owner sees the entries whose
target belongs to an organisation they own (the organisation, its members,
its keys, its datasets and every read of them by others).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kiwerk.core.data import AuditEntry, Pool
from kiwerk.errors import AccessDenied, IntegrityError
from kiwerk.interfaces.api.deps import PrincipalDep, ServicesDep
from kiwerk.interfaces.api.errors import problem_responses
from kiwerk.interfaces.api.routes._access import roles
from kiwerk.interfaces.api.schemas import AuditEntryPublic, AuditVerifyResult

router = APIRouter(prefix="/audit", tags=["audit"])
_ERRORS = problem_responses(401, 403, 422, 429)


def _owned(pool: Pool, actor: str) -> set[str]:
    owned = {org for org, role in roles(pool, actor).items() if role == "owner"}
    if not owned:
        raise AccessDenied("only owners of an organisation may read the audit log")
    return owned


def concerns(entry: AuditEntry, orgs: set[str], datasets: set[str]) -> bool:
    """Whether ``entry`` is about one of ``orgs`` or their ``datasets``."""
    target = entry.target
    if target in orgs or (target.split("/", 1)[0] in orgs and "/" in target):
        return True
    names = {part.split("@", 1)[0] for part in target.split(",")}
    return bool(names & datasets)


@router.get("", response_model=list[AuditEntryPublic], responses=_ERRORS)
def entries(
    services: ServicesDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[AuditEntryPublic]:
    """The newest entries about the caller's organisations (owners only)."""
    pool = services.pool
    orgs = _owned(pool, principal.actor)
    datasets = {d.name for d in pool.datasets(actor=principal.actor) if d.org in orgs}
    found = [e for e in pool.audit.entries() if concerns(e, orgs, datasets)]
    return [AuditEntryPublic.model_validate(e) for e in found[-limit:]]


@router.post("/verify", response_model=AuditVerifyResult, responses=_ERRORS)
def verify(services: ServicesDep, principal: PrincipalDep) -> AuditVerifyResult:
    """Check the whole chain: any edited, inserted or deleted entry is found."""
    _owned(services.pool, principal.actor)
    try:
        result = services.pool.audit.verify()
    except IntegrityError as exc:
        return AuditVerifyResult(ok=False, entries=0, head=None, error=str(exc))
    return AuditVerifyResult(ok=True, entries=result.entries, head=result.head)
