"""``/mobility``: forecast vs actual, signal control, delivery tours on the map.

- ``/mobility/forecast``: the registered ``mobility-forecast`` model on the
  Los-loop test part (the pool versions it names), one sensor and horizon.
- ``/mobility/signals``: the latest comparison recorded by
  ``kiwerk mobility signals run`` (average trip delay per controller).
- ``/mobility/tours``: the Aachen delivery demo solved with PyVRP on the OSM
  street graph, as GeoJSON with the street network itself (no map tiles).

Members of the forecasting pilot's organisation see them; others get 404.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from kiwerk.domains.mobility import (
    AACHEN_HUBS,
    FleetParams,
    ForecastView,
    StreetGraph,
    build_street_graph,
    demo_orders,
    forecast_view,
    plan_geojson,
    plan_routes,
    read_signal_results,
    signal_results_path,
)
from kiwerk.interfaces.api.deps import PrincipalDep, ServicesDep
from kiwerk.interfaces.api.domain_schemas import SensorForecast, SignalRow, SignalTable
from kiwerk.interfaces.api.errors import ProblemError, problem_responses
from kiwerk.interfaces.api.routes._views import (
    served_model,
    trained_on,
    view_cache,
    visible_pilot,
)
from kiwerk.interfaces.api.routes.models import VersionQuery

router = APIRouter(prefix="/mobility", tags=["mobility"])
_ERRORS = problem_responses(401, 404, 422)
PILOT = "mobility-forecast"
OSM = Path("osm/aachen/aachen.osm.pbf")


def _view(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    version: str | None,
) -> tuple[ForecastView, str, int]:
    visible_pilot(services, principal, PILOT)
    served = served_model(services, PILOT, version)
    names = [d.name for d in served.pilot.contract.datasets]
    refs = tuple((d.name, d.version) for d in served.record.datasets)
    key = ("forecast", served.record.version, refs)

    def compute() -> ForecastView:
        frames = {n: trained_on(services, principal, served, n)[0] for n in names}
        return forecast_view(served.model, frames)

    return (
        view_cache(request).get(key, compute),
        served.record.name,
        served.record.version,
    )


def _finite(values: Any) -> list[float | None]:
    return [None if not math.isfinite(v) else round(float(v), 3) for v in values]


@router.get("/forecast/sensors", response_model=list[str], responses=_ERRORS)
def forecast_sensors(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    version: VersionQuery = None,
) -> list[str]:
    """The sensors the forecast covers."""
    return list(_view(request, services, principal, version)[0].sensors)


@router.get("/forecast", response_model=SensorForecast, responses=_ERRORS)
def sensor_forecast(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    sensor: Annotated[str | None, Query(max_length=32)] = None,
    minutes: Annotated[int, Query(ge=5, le=60, multiple_of=5)] = 15,
    version: VersionQuery = None,
) -> SensorForecast:
    """Forecast vs measured speed of one sensor (default: the first), test part."""
    view, name, number = _view(request, services, principal, version)
    sensor = sensor or view.sensors[0]
    times, actual, forecast = view.series(sensor, minutes)
    diff = [f - a for a, f in zip(actual, forecast, strict=True)]
    errors = [e for e in diff if math.isfinite(e)]
    if not errors:
        raise ProblemError(422, f"sensor {sensor} has no scored forecast")
    return SensorForecast(
        sensor=sensor,
        horizon_min=minutes,
        model=name,
        version=number,
        ts=[float(t) for t in times],
        actual=_finite(actual),
        forecast=_finite(forecast),
        rmse=math.sqrt(sum(e * e for e in errors) / len(errors)),
        mae=sum(abs(e) for e in errors) / len(errors),
    )


@router.get("/signals", response_model=SignalTable, responses=_ERRORS)
def signals(services: ServicesDep, principal: PrincipalDep) -> SignalTable:
    """The latest recorded delay of each controller on each scenario."""
    visible_pilot(services, principal, PILOT)
    rows = read_signal_results(signal_results_path(services.settings.home))
    if not rows:
        raise ProblemError(
            404, "no signal-control results yet: run `kiwerk mobility signals run`"
        )
    return SignalTable(
        rows=[SignalRow(**{k: r[k] for k in SignalRow.model_fields}) for r in rows],
        recorded=max(str(r.get("recorded", "")) for r in rows) or None,
    )


def _graph(request: Request, data: Path) -> StreetGraph:
    path = data / OSM
    if not path.is_file():
        raise ProblemError(404, f"no OSM extract of Aachen in the data folder ({OSM})")
    return view_cache(request).get(
        ("streets", str(path)), lambda: build_street_graph(path)
    )


@router.get("/tours", responses=_ERRORS)
def tours(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    parcels: Annotated[int, Query(ge=1, le=200)] = 60,
    seconds: Annotated[float, Query(gt=0, le=30)] = 5.0,
    vehicles: Annotated[int, Query(ge=1, le=10, description="Per hub.")] = 5,
    seed: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> dict[str, Any]:
    """GeoJSON of the Aachen delivery tours on the street network."""
    visible_pilot(services, principal, PILOT)
    graph = _graph(request, services.settings.data)

    def compute() -> dict[str, Any]:
        orders = demo_orders(graph, parcels, seed)
        params = FleetParams(vehicles_per_hub=vehicles, seconds=seconds, seed=seed)
        plan = plan_routes(graph, list(AACHEN_HUBS), orders, params)
        return plan_geojson(graph, plan, AACHEN_HUBS)

    return view_cache(request).get(("tours", parcels, seconds, vehicles, seed), compute)
