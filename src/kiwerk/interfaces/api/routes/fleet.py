"""``/fleet``: remaining useful life of the engine fleet and maintenance policies.

The registered ``industry-rul`` model scores the test fleet it was evaluated
on (the pool versions named by the model), giving each engine's estimate with
its conformal interval; the lower bounds along every engine's record drive
the maintenance-policy comparison (run-to-failure, best fixed interval,
predictive). Members of the pilot's organisation see it; others get 404.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request

from kiwerk.domains.industry.maintenance import MaintenanceParams
from kiwerk.domains.industry.rul import FleetView, dataset_names, fleet_view
from kiwerk.interfaces.api.deps import PrincipalDep, ServicesDep
from kiwerk.interfaces.api.domain_schemas import FleetPublic, PolicyPublic, RulEngine
from kiwerk.interfaces.api.errors import problem_responses
from kiwerk.interfaces.api.routes._views import (
    served_model,
    trained_on,
    view_cache,
    visible_pilot,
)
from kiwerk.interfaces.api.routes.models import VersionQuery

router = APIRouter(prefix="/fleet", tags=["fleet"])
_ERRORS = problem_responses(401, 404, 422)
PILOT = "industry-rul"


@router.get("/rul", response_model=FleetPublic, responses=_ERRORS)
def fleet_rul(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    version: VersionQuery = None,
    alpha: Annotated[float, Query(gt=0.0, lt=1.0, description="1 - level.")] = 0.1,
) -> FleetPublic:
    """Each engine's RUL with its ``1 - alpha`` interval, and the policies' costs."""
    visible_pilot(services, principal, PILOT)
    served = served_model(services, PILOT, version)
    subset = served.pilot.tags.get("subset", "FD001")
    _, test_name, rul_name = dataset_names(subset)
    test, test_v = trained_on(services, principal, served, test_name)
    truth, truth_v = trained_on(services, principal, served, rul_name)
    key = ("fleet", served.record.version, test_v, truth_v, alpha)

    def compute() -> FleetView:
        return fleet_view(
            served.model.estimator_,
            test,
            truth.set_index("unit")["rul"],
            MaintenanceParams(alpha=alpha),
        )

    view = view_cache(request).get(key, compute)
    return _public(view, served.record.name, served.record.version, alpha)


def _public(view: FleetView, name: str, version: int, alpha: float) -> FleetPublic:
    rows: list[dict[Any, Any]] = view.engines.to_dict("records")
    engines = [
        RulEngine(
            unit=int(r["unit"]),
            cycle=int(r["cycle"]),
            estimate=float(r["estimate"]),
            lower=float(r["lower"]),
            upper=float(r["upper"]),
            truth=None if np.isnan(r["truth"]) else float(r["truth"]),
        )
        for r in rows
    ]
    report = view.report
    return FleetPublic(
        model=name,
        version=version,
        alpha=alpha,
        coverage=0.0 if np.isnan(view.coverage) else view.coverage,
        engines=engines,
        policies=[PolicyPublic(**o.__dict__) for o in report.outcomes]
        if report
        else [],
        best_interval=report.best_interval if report else 0,
        saving=report.saving if report else 0.0,
        saving_share=report.saving_share if report else 0.0,
    )
