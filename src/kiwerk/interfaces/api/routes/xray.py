"""``/xray``: the X-ray viewer — triage, heat map and a radiologist's review.

Cases are the images of the official test split in the pool version the
registered ``health-xray`` model was trained on (numbered from 0). Each case
shows the calibrated probability of pneumonia, the decision (``pneumonia``,
``normal``, ``refer`` in the abstain band, ``refused`` out of distribution)
and the Grad-CAM overlay. A radiologist (owner or analyst of the pilot's
organisation) confirms or overrides the decision; the review is an entry of
the pool's hash-chained audit log, and the case lists its reviews from there.
Members see cases; others get 404; viewers may not review (403).
"""

from __future__ import annotations

import io
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from numpy.typing import NDArray
from PIL import Image

from kiwerk.core.serving import ServedModel
from kiwerk.domains.health import images_of, overlay_png
from kiwerk.interfaces.api.deps import Principal, PrincipalDep, Services, ServicesDep
from kiwerk.interfaces.api.domain_schemas import (
    XrayCase,
    XrayReviewCreate,
    XrayReviewPublic,
)
from kiwerk.interfaces.api.errors import ProblemError, problem_responses
from kiwerk.interfaces.api.routes._access import require_user
from kiwerk.interfaces.api.routes._views import (
    served_model,
    trained_on,
    view_cache,
    visible_pilot,
)
from kiwerk.interfaces.api.routes.models import VersionQuery

router = APIRouter(prefix="/xray", tags=["xray"])
_ERRORS = problem_responses(401, 403, 404, 422)
_PNG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}}, "description": "PNG image."}
}
PILOT = "health-xray"
DATASET = "pneumoniamnist"
REVIEW = "xray.review"
Index = Annotated[int, PathParam(ge=0, le=10_000_000)]


def _cases(
    request: Request, services: Services, principal: Principal, version: str | None
) -> tuple[ServedModel, NDArray[np.uint8], NDArray[np.int64]]:
    """The model and the test images (with labels) it was evaluated on."""
    visible_pilot(services, principal, PILOT)
    served = served_model(services, PILOT, version)
    ref = next((d for d in served.record.datasets if d.name == DATASET), None)
    key = ("xray-test", DATASET, ref.version if ref else None)

    def load() -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
        rows, _ = trained_on(services, principal, served, DATASET)
        test = rows[rows["split"] == "test"].reset_index(drop=True)
        return images_of(test), test["label"].to_numpy(np.int64)

    images, labels = view_cache(request).get(key, load)
    return served, images, labels


def _case(images: NDArray[np.uint8], index: int) -> NDArray[np.uint8]:
    if index >= len(images):
        raise ProblemError(
            404, f"no case {index}: the test split has {len(images)} images"
        )
    return images[index : index + 1]


def _target(served: ServedModel, index: int) -> str:
    return f"{served.pilot.contract.org}/xray/{DATASET}/test/{index}"


def _reviews(services: Services, target: str) -> list[dict[str, Any]]:
    return [
        {"seq": e.seq, "ts": e.ts, "actor": e.actor, **e.details}
        for e in services.pool.audit.entries()
        if e.action == REVIEW and e.target == target
    ]


@router.get("/cases", response_model=list[XrayCase], responses=_ERRORS)
def list_cases(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    version: VersionQuery = None,
) -> list[XrayCase]:
    """A page of test cases with their triage (no reviews)."""
    served, images, labels = _cases(request, services, principal, version)
    stop = min(offset + limit, len(images))
    if offset >= stop:
        return []
    return _triage(served, images[offset:stop], labels[offset:stop], offset)


def _triage(
    served: ServedModel,
    images: NDArray[np.uint8],
    labels: NDArray[np.int64],
    first: int,
) -> list[XrayCase]:
    triage = served.model.model_
    probs = triage.predict_proba(images)
    decisions = triage.predict(images)
    out = []
    for k, (p, d) in enumerate(zip(probs, decisions, strict=True)):
        i = first + k
        out.append(
            XrayCase(
                index=i,
                label=int(labels[k]),
                model=served.record.name,
                version=served.record.version,
                probability=float(p),
                threshold=float(triage.threshold_),
                decision=d,
                abstain=d in ("refer", "refused"),
                image_url=f"/xray/cases/{i}/image.png",
                overlay_url=f"/xray/cases/{i}/overlay.png",
                reviews=[],
            )
        )
    return out


@router.get("/cases/{index}", response_model=XrayCase, responses=_ERRORS)
def show_case(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    index: Index,
    version: VersionQuery = None,
) -> XrayCase:
    """One case: calibrated probability, decision, abstain flag, reviews."""
    served, images, labels = _cases(request, services, principal, version)
    case = _triage(served, _case(images, index), labels[index : index + 1], index)[0]
    case.reviews = _reviews(services, _target(served, index))
    return case


@router.get(
    "/cases/{index}/image.png",
    response_class=Response,
    responses={**_ERRORS, **_PNG},
)
def case_image(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    index: Index,
    size: Annotated[int, Query(ge=28, le=560)] = 280,
) -> Response:
    """The X-ray itself, enlarged (nearest neighbour) to ``size`` pixels."""
    _, images, _ = _cases(request, services, principal, None)
    image = Image.fromarray(_case(images, index)[0]).resize(
        (size, size), Image.Resampling.NEAREST
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return Response(out.getvalue(), media_type="image/png")


@router.get(
    "/cases/{index}/overlay.png",
    response_class=Response,
    responses={**_ERRORS, **_PNG},
)
def case_overlay(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    index: Index,
    version: VersionQuery = None,
) -> Response:
    """The Grad-CAM heat map over the X-ray, with the decision as caption."""
    served, images, _ = _cases(request, services, principal, version)
    image = _case(images, index)
    triage = served.model.model_
    prob, decision = triage.predict_proba(image)[0], triage.predict(image)[0]
    heat = triage.explain(image)[0]
    png = overlay_png(image[0], heat, caption=f"p(pneumonia) {prob:.2f}: {decision}")
    return Response(png, media_type="image/png")


@router.post(
    "/cases/{index}/review",
    response_model=XrayReviewPublic,
    status_code=201,
    responses=_ERRORS,
)
def review_case(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    index: Index,
    body: XrayReviewCreate,
    version: VersionQuery = None,
) -> XrayReviewPublic:
    """Confirm or override the decision (owners and analysts); audit-logged."""
    role = visible_pilot(services, principal, PILOT)
    require_user(principal, "review X-rays")
    if role not in ("owner", "analyst"):
        raise ProblemError(403, "only owners and analysts may review X-rays")
    served, images, _ = _cases(request, services, principal, version)
    decision = served.model.model_.predict(_case(images, index))[0]
    if body.verdict == "override" and body.finding is None:
        raise ProblemError(422, "an override needs the radiologist's finding")
    if body.verdict == "confirm" and decision not in ("pneumonia", "normal"):
        raise ProblemError(
            422, f"the model decided {decision!r}: give a finding with an override"
        )
    finding = (body.finding if body.verdict == "override" else None) or decision
    details = {
        "verdict": body.verdict,
        "finding": finding,
        "model_decision": decision,
        "model": served.record.name,
        "version": served.record.version,
        "note": body.note,
    }
    seq = services.pool.audit.append(
        principal.actor, REVIEW, _target(served, index), details
    )
    return XrayReviewPublic(
        index=index,
        verdict=body.verdict,
        finding=finding,
        model_decision=decision,
        actor=principal.actor,
        seq=seq,
    )
