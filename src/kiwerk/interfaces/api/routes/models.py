"""``/models``: registered pilot models — list, show, promote, predict, explain,
train (background job) and live monitoring.

A pilot's models belong to the organisation of its data contract: members
see and use them, analysts train, owners promote; everyone else gets 404.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from kiwerk.core.models import ModelRecord, promote
from kiwerk.core.pipeline import DomainPipeline
from kiwerk.errors import AccessDenied, NotFound
from kiwerk.interfaces.api.deps import PrincipalDep, ServicesDep
from kiwerk.interfaces.api.errors import ProblemError, problem_responses
from kiwerk.interfaces.api.jobs import start_training
from kiwerk.interfaces.api.routes._access import roles
from kiwerk.interfaces.api.schemas import (
    BatchRequest,
    BatchResult,
    ExplainedRow,
    ExplainRequest,
    ExplainResult,
    JobPublic,
    LabelsRequest,
    LabelsResult,
    ModelPublic,
    ModelVersionPublic,
    MonitoringResult,
    PredictRequest,
    PredictResult,
    PromoteRequest,
    TrainRequest,
)

router = APIRouter(prefix="/models", tags=["models"])
_ERRORS = problem_responses(401, 403, 404, 409, 422, 429)
ModelName = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
VersionQuery = Annotated[
    str | None,
    Query(
        pattern=r"^(production|candidate|[1-9][0-9]{0,8})$",
        description="Version number or alias; default production, else newest.",
    ),
]


def _pilot(services: ServicesDep, principal: PrincipalDep, name: str) -> DomainPipeline:
    """The pilot if the caller belongs to its organisation; else 404."""
    try:
        pilot = services.models.pilot(name)
    except NotFound:
        pilot = None
    if pilot is None or pilot.contract.org not in services.roles.get(principal.actor):
        raise ProblemError(404, f"model {name!r} not found")
    return pilot


def _version(record: ModelRecord) -> ModelVersionPublic:
    return ModelVersionPublic(
        name=record.name,
        version=record.version,
        aliases=list(record.aliases),
        metrics=record.metrics,
        kpis=record.kpis,
        datasets=[d.__dict__ for d in record.datasets],
        created_ms=record.created_ms,
    )


def _model(services: ServicesDep, pilot: DomainPipeline) -> ModelPublic:
    names = set(services.models.registry.names())
    versions = (
        services.models.registry.versions(pilot.name) if pilot.name in names else []
    )
    return ModelPublic(
        name=pilot.name,
        title=pilot.title,
        org=pilot.contract.org,
        inputs=[c.name for c in pilot.contract.inputs],
        versions=[_version(v) for v in versions],
    )


@router.get("", response_model=list[ModelPublic], responses=_ERRORS)
def list_models(services: ServicesDep, principal: PrincipalDep) -> list[ModelPublic]:
    """The pilots' models of the caller's organisations."""
    mine = roles(services.pool, principal.actor)
    return [
        _model(services, p) for p in services.models.pilots() if p.contract.org in mine
    ]


@router.get("/{name}", response_model=ModelPublic, responses=_ERRORS)
def show_model(
    services: ServicesDep, principal: PrincipalDep, name: ModelName
) -> ModelPublic:
    """One model with every registered version."""
    return _model(services, _pilot(services, principal, name))


@router.post("/{name}/promote", response_model=ModelVersionPublic, responses=_ERRORS)
def promote_model(
    services: ServicesDep,
    principal: PrincipalDep,
    name: ModelName,
    body: PromoteRequest,
) -> ModelVersionPublic:
    """Make a version production (owners only; gated by the pilot's metric rule)."""
    pilot = _pilot(services, principal, name)
    if principal.kind != "user":
        raise AccessDenied("API keys may not promote models")
    record = promote(
        services.models.registry,
        name,
        body.version,
        actor=principal.actor,
        org=pilot.contract.org,
        governance=services.pool,
        rule=pilot.promotion,
    )
    services.models.forget(name)
    return _version(record)


@router.post("/{name}/predict", response_model=PredictResult, responses=_ERRORS)
def predict(
    services: ServicesDep,
    principal: PrincipalDep,
    name: ModelName,
    body: PredictRequest,
    version: VersionQuery = None,
) -> PredictResult:
    """Predict one row with the production model (or ``version``). Logged."""
    pilot = _pilot(services, principal, name)
    served = services.models.served(name, version)
    frame = pd.DataFrame([body.input])
    out = served.predict(frame, source="request body 'input'")
    request = services.models.record(
        served, frame, out, org=pilot.contract.org, actor=principal.actor
    )
    row = _columns(out.iloc[:1])
    return PredictResult(
        model=name,
        version=served.record.version,
        prediction_id=f"{request}-0",
        prediction={k: v[0] for k, v in row.items()},
    )


@router.post("/{name}/predict/batch", response_model=BatchResult, responses=_ERRORS)
def predict_batch(
    services: ServicesDep,
    principal: PrincipalDep,
    name: ModelName,
    body: BatchRequest,
    version: VersionQuery = None,
) -> BatchResult:
    """Predict many rows (records or column arrays). Logged."""
    pilot = _pilot(services, principal, name)
    if (body.rows is None) == (body.columns is None):
        raise ProblemError(422, "send either 'rows' or 'columns'")
    try:
        frame = pd.DataFrame(body.columns) if body.columns else pd.DataFrame(body.rows)
    except ValueError as exc:
        raise ProblemError(422, f"columns of unequal length: {exc}") from exc
    if frame.empty:
        raise ProblemError(422, "no rows to predict")
    served = services.models.served(name, version)
    out = served.predict(frame, source="request body")
    request = services.models.record(
        served, frame, out, org=pilot.contract.org, actor=principal.actor
    )
    return BatchResult(
        model=name,
        version=served.record.version,
        request_id=request,
        rows=len(out),
        predictions=_columns(out),
    )


def _columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Column lists of plain Python values (missing and non-finite → None)."""
    out: dict[str, list[Any]] = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_float_dtype(values):
            array = values.to_numpy(dtype=object)
            finite = np.isfinite(values.to_numpy(dtype=float))
            array[~finite] = None
            out[str(name)] = array.tolist()
        elif pd.api.types.is_numeric_dtype(values):
            out[str(name)] = values.to_numpy().tolist()
        else:
            out[str(name)] = [None if pd.isna(v) else v for v in values.tolist()]
    return out


@router.post("/{name}/explain", response_model=ExplainResult, responses=_ERRORS)
def explain(
    services: ServicesDep,
    principal: PrincipalDep,
    name: ModelName,
    body: ExplainRequest,
    version: VersionQuery = None,
) -> ExplainResult:
    """Predict rows and name the features that pushed each prediction."""
    _pilot(services, principal, name)
    served = services.models.served(name, version)
    frame = pd.DataFrame(body.rows)
    out, explanation = served.explain(frame, source="request body 'rows'")
    cols = _columns(out)
    rows = [{k: v[i] for k, v in cols.items()} for i in range(len(out))]
    return ExplainResult(
        model=name,
        version=served.record.version,
        output=explanation.output,
        rows=[
            ExplainedRow(
                prediction=row,
                contributions={k: float(v) for k, v in explanation.top(i, body.top)},
            )
            for i, row in enumerate(rows)
        ],
    )


@router.post(
    "/{name}/train", status_code=202, response_model=JobPublic, responses=_ERRORS
)
def train(
    services: ServicesDep, principal: PrincipalDep, name: ModelName, body: TrainRequest
) -> JobPublic:
    """Train, evaluate, explain and register a new candidate in the background.

    Analysts of the pilot's organisation; follow progress at ``/jobs/{id}``.
    """
    pilot = _pilot(services, principal, name)
    services.pool.require_role(principal.actor, pilot.contract.org, "analyst")
    job = start_training(services, pilot, body, actor=principal.actor)
    return JobPublic.model_validate(job)


@router.post("/{name}/labels", response_model=LabelsResult, responses=_ERRORS)
def post_labels(
    services: ServicesDep,
    principal: PrincipalDep,
    name: ModelName,
    body: LabelsRequest,
) -> LabelsResult:
    """Post ground truth for logged predictions (analysts); feeds performance.

    Each label names a ``prediction_id`` from ``/predict`` (or
    ``<request_id>-<row>`` from ``/predict/batch``). Unknown ids are counted,
    not refused. Recorded in the audit log.
    """
    pilot = _pilot(services, principal, name)
    services.pool.require_role(principal.actor, pilot.contract.org, "analyst")
    items = [item.model_dump() for item in body.labels]
    results = services.models.label(name, items, actor=principal.actor)
    matched = sum(bool(r["matched"]) for r in results)
    services.pool.audit.append(
        principal.actor,
        "post_labels",
        name,
        {"labels": len(items), "matched": matched},
    )
    return LabelsResult(
        model=name, received=len(items), matched=matched, results=results
    )


@router.get("/{name}/monitoring", response_model=MonitoringResult, responses=_ERRORS)
def monitoring(
    services: ServicesDep,
    principal: PrincipalDep,
    name: ModelName,
    version: VersionQuery = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> MonitoringResult:
    """Drift per input column and of the predictions, window by window."""
    _pilot(services, principal, name)
    record = services.models.served(name, version).record
    services.models.flush()
    monitor = services.models.monitor(name, record.version)
    state: dict[str, Any] = monitor.state() if monitor else {"reference_rows": 0}
    logged = services.store.predictions(name, limit=20)
    stored = services.store.windows(name, version=record.version, limit=limit)
    perf = services.models.performance(name)
    return MonitoringResult(
        model=name,
        version=record.version,
        params={
            **services.models.monitor_params.__dict__,
            "performance": services.models.performance_params.__dict__,
        },
        state=state,
        windows=[w for w in stored if w.get("kind") != "performance"],
        performance=[w for w in stored if w.get("kind") == "performance"],
        performance_state=perf.state(),
        alerts=[a for a in services.models.alerts.sent if a["model"] == name],
        logged_predictions=[
            {k: r[k] for k in ("version", "ts", "input_hash", "output", "actor")}
            for r in logged
            if r["version"] == record.version
        ],
    )
