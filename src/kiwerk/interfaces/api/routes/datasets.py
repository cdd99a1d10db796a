"""``/datasets``: datasets, uploads (ingest), versions, quality, rows, grants."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from kiwerk.core.data import DatasetSpec, VersionInfo
from kiwerk.interfaces.api.deps import PrincipalDep, ServicesDep
from kiwerk.interfaces.api.errors import ProblemError, problem_responses
from kiwerk.interfaces.api.routes._access import member_role, visible_dataset
from kiwerk.interfaces.api.schemas import (
    DatasetCreate,
    DatasetDetail,
    DatasetPublic,
    GrantPublic,
    GrantUpdate,
    IngestResult,
    Name,
    Rows,
    SpecUpdate,
    VersionPublic,
)

router = APIRouter(prefix="/datasets", tags=["datasets"])
_ERRORS = problem_responses(401, 403, 404, 409, 422, 429)
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_. -]{0,127}$")
#: Upload suffix → the content types a client may declare for it.
SUFFIXES: dict[str, tuple[str, ...]] = {
    ".csv": ("text/csv", "application/csv", "text/plain"),
    ".parquet": (
        "application/vnd.apache.parquet",
        "application/x-parquet",
        "application/octet-stream",
    ),
    ".jsonl": ("application/jsonl", "application/x-ndjson", "application/json"),
    ".ndjson": ("application/x-ndjson", "application/jsonl", "application/json"),
}
_UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV, Parquet or JSON lines; the "
                            "name's suffix says which.",
                        }
                    },
                },
                "encoding": {
                    "file": {
                        "contentType": ", ".join(
                            sorted({t for ts in SUFFIXES.values() for t in ts})
                        )
                    }
                },
            }
        },
    }
}
Version = Annotated[
    str, PathParam(pattern=r"^(latest|[1-9][0-9]{0,8})$", examples=["latest", "1"])
]


def _version(text: str) -> int | None:
    return None if text == "latest" else int(text)


def safe_filename(name: str | None) -> str:
    """The upload's file name if it is a plain, safe base name.

    Raises
    ------
    ProblemError
        422 for path components, traversal or odd characters; 415 for a
        suffix the pool cannot read.

    Examples
    --------
    >>> safe_filename("pumps 2024.csv")
    'pumps 2024.csv'
    """
    if not name or not _FILE.match(name) or ".." in name:
        raise ProblemError(
            422,
            f"file name {name!r} refused: use a plain name of letters, digits, "
            "'_', '.', '-' or spaces, without folders",
        )
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ProblemError(
            415, f"file type {suffix or 'none'!r} not accepted; use {sorted(SUFFIXES)}"
        )
    return name


@router.get("", response_model=list[DatasetPublic], responses=_ERRORS)
def list_datasets(
    services: ServicesDep, principal: PrincipalDep
) -> list[DatasetPublic]:
    """The datasets the caller can see: its organisations' and those granted."""
    return [
        DatasetPublic.model_validate(d)
        for d in services.pool.datasets(actor=principal.actor)
    ]


@router.post("", status_code=201, response_model=DatasetDetail, responses=_ERRORS)
def create_dataset(
    services: ServicesDep, principal: PrincipalDep, body: DatasetCreate
) -> DatasetDetail:
    """Create an empty dataset in one of the caller's organisations (analysts+)."""
    member_role(services.pool, principal, body.org)
    spec = DatasetSpec.from_dict(body.spec or {}, source="request body 'spec'")
    services.pool.create_dataset(
        body.name, org=body.org, actor=principal.actor, spec=spec
    )
    return _detail(services, principal, body.name)


@router.get("/{name}", response_model=DatasetDetail, responses=_ERRORS)
def show_dataset(
    services: ServicesDep, principal: PrincipalDep, name: Name
) -> DatasetDetail:
    """One dataset with its contract."""
    return _detail(services, principal, name)


@router.put("/{name}/spec", response_model=DatasetDetail, responses=_ERRORS)
def set_spec(
    services: ServicesDep, principal: PrincipalDep, name: Name, body: SpecUpdate
) -> DatasetDetail:
    """Replace the contract used by later uploads (analysts of its org)."""
    visible_dataset(services.pool, principal, name)
    spec = DatasetSpec.from_dict(body.spec, source="request body 'spec'")
    services.pool.set_spec(name, spec, actor=principal.actor)
    return _detail(services, principal, name)


def _detail(services: ServicesDep, principal: PrincipalDep, name: str) -> DatasetDetail:
    info = visible_dataset(services.pool, principal, name)
    spec = services.pool.spec(name, actor=principal.actor)
    return DatasetDetail(
        **DatasetPublic.model_validate(info).model_dump(), spec=spec.to_dict()
    )


@router.post(
    "/{name}/versions",
    status_code=201,
    response_model=IngestResult,
    responses=problem_responses(401, 403, 404, 409, 413, 415, 422, 429),
    openapi_extra=_UPLOAD_SCHEMA,
)
async def upload(
    services: ServicesDep, principal: PrincipalDep, name: Name, request: Request
) -> IngestResult:
    """Upload a file as the next version (analysts of the dataset's org).

    The file goes through the dataset's contract, pseudonymisation and
    quality checks; a file that breaks a ``reject`` contract stores nothing.
    """
    await run_in_threadpool(visible_dataset, services.pool, principal, name)
    async with request.form(max_files=1, max_fields=1) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ProblemError(422, "send the file as the multipart field 'file'")
        filename = safe_filename(upload.filename)
        declared = (upload.content_type or "").split(";")[0].strip().lower()
        allowed = SUFFIXES[Path(filename).suffix.lower()]
        if declared and declared not in allowed:
            raise ProblemError(
                415,
                f"part content type {declared!r} does not match {filename!r}; "
                f"use one of {list(allowed)}",
            )
        folder = Path(tempfile.mkdtemp(prefix="upload-", dir=_scratch(services)))
        try:
            path = folder / filename
            with path.open("wb") as out:
                while chunk := await upload.read(1 << 20):
                    out.write(chunk)
            report = await run_in_threadpool(
                services.pool.ingest, path, name, actor=principal.actor
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return IngestResult(
        dataset=report.dataset,
        version=report.version,
        content_hash=report.content_hash,
        rows=report.rows,
        quarantined=report.quarantined,
        quality=report.quality.to_dict(),
    )


def _scratch(services: ServicesDep) -> Path:
    path = services.settings.home / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


@router.get("/{name}/versions", response_model=list[VersionPublic], responses=_ERRORS)
def list_versions(
    services: ServicesDep, principal: PrincipalDep, name: Name
) -> list[VersionPublic]:
    """Every version of a dataset, oldest first."""
    visible_dataset(services.pool, principal, name)
    return [
        _version_public(v) for v in services.pool.versions(name, actor=principal.actor)
    ]


def _version_public(info: VersionInfo) -> VersionPublic:
    return VersionPublic(**{**info.__dict__, "columns": list(info.columns)})


@router.get(
    "/{name}/versions/{version}", response_model=VersionPublic, responses=_ERRORS
)
def show_version(
    services: ServicesDep,
    principal: PrincipalDep,
    name: Name,
    version: Version,
) -> VersionPublic:
    """One version (``latest`` or its number)."""
    visible_dataset(services.pool, principal, name)
    info = services.pool.version_info(name, _version(version), actor=principal.actor)
    return _version_public(info)


@router.get("/{name}/versions/{version}/quality", responses=_ERRORS)
def quality(
    services: ServicesDep, principal: PrincipalDep, name: Name, version: Version
) -> dict[str, Any]:
    """The quality report stored with a version."""
    visible_dataset(services.pool, principal, name)
    report = services.pool.quality(name, _version(version), actor=principal.actor)
    return report.to_dict()


@router.get("/{name}/versions/{version}/rows", response_model=Rows, responses=_ERRORS)
def rows(
    services: ServicesDep,
    principal: PrincipalDep,
    name: Name,
    version: Version,
    offset: Annotated[int, Query(ge=0, le=2**40)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> Rows:
    """A page of rows (read access; a train-only grant gives 403). Audited."""
    visible_dataset(services.pool, principal, name)
    limit = min(limit, services.params.max_rows_per_page)
    frame = services.pool.read(name, _version(version), actor=principal.actor)
    page = frame.iloc[offset : offset + limit]
    records = json.loads(page.to_json(orient="records", date_format="iso"))
    info = services.pool.version_info(name, _version(version), actor=principal.actor)
    return Rows(
        dataset=name,
        version=info.version,
        offset=offset,
        limit=limit,
        total=len(frame),
        rows=records,
    )


@router.get("/{name}/grants", response_model=list[GrantPublic], responses=_ERRORS)
def list_grants(
    services: ServicesDep, principal: PrincipalDep, name: Name
) -> list[GrantPublic]:
    """The grants of a dataset (members of its organisation)."""
    visible_dataset(services.pool, principal, name)
    grants = services.pool.grants(name, actor=principal.actor)
    return [GrantPublic(org=o, level=lv) for o, lv in grants.items()]


@router.put("/{name}/grants/{org}", response_model=GrantPublic, responses=_ERRORS)
def grant(
    services: ServicesDep,
    principal: PrincipalDep,
    name: Name,
    org: Name,
    body: GrantUpdate,
) -> GrantPublic:
    """Share a dataset with another organisation (owners of its org).

    Refused when the latest version is not k-anonymous.
    """
    info = visible_dataset(services.pool, principal, name)
    if org == info.org:
        raise ProblemError(422, "a dataset's own organisation needs no grant")
    services.pool.grant(name, to_org=org, level=body.level, actor=principal.actor)
    return GrantPublic(org=org, level=body.level)


@router.delete("/{name}/grants/{org}", status_code=204, responses=_ERRORS)
def revoke(
    services: ServicesDep, principal: PrincipalDep, name: Name, org: Name
) -> Response:
    """Withdraw a grant (owners of the dataset's org)."""
    info = visible_dataset(services.pool, principal, name)
    services.pool.require_role(principal.actor, info.org, "owner")
    if org not in services.pool.grants(name, actor=principal.actor):
        raise ProblemError(404, f"dataset {name!r} has no grant to {org!r}")
    services.pool.revoke(name, from_org=org, actor=principal.actor)
    return Response(status_code=204)


__all__ = ["SUFFIXES", "router", "safe_filename"]
