"""``/line``: the live production line — machines, readings, alerts, a stream.

The API hears the line through a :class:`~kiwerk.domains.industry.stream.LineFeed`
on the line's MQTT broker (the readings the machines publish and the alerts
``kiwerk monitor`` raises on its alert topic). Members of the line's
organisation (``KIWERK_LINE_ORG``) see it; everyone else gets 404, as when no
line is configured (``KIWERK_LINE_CONFIG``). ``GET /line/stream`` pushes the
changes as server-sent events: one ``readings`` event per batch (every
``interval_s``), one ``predictions`` event per batch (each machine's newest
RUL with its interval, when the line scores a registered model), one
``alert`` event per alert, each with the sequence number
as its id so that a reconnecting browser resumes where it stopped
(``Last-Event-ID``); a follower that fell too far behind gets ``reset``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from kiwerk.domains.industry.stream import FeedEvent, LineFeed
from kiwerk.interfaces.api.deps import PrincipalDep, ServicesDep
from kiwerk.interfaces.api.domain_schemas import (
    LineAlert,
    LinePublic,
    MachineHistory,
    MachineState,
)
from kiwerk.interfaces.api.errors import ProblemError, problem_responses
from kiwerk.interfaces.api.routes._access import roles

router = APIRouter(prefix="/line", tags=["line"])
_ERRORS = problem_responses(401, 404, 422)
Machine = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")]


def _feed(request: Request, services: ServicesDep, principal: PrincipalDep) -> LineFeed:
    """The line's feed if one runs and the caller belongs to its organisation."""
    feed: LineFeed | None = getattr(request.app.state, "line_feed", None)
    org = services.settings.line_org
    if feed is None or org not in roles(services.pool, principal.actor):
        raise ProblemError(404, "no live line is visible to you on this server")
    return feed


@router.get("", response_model=LinePublic, responses=_ERRORS)
def show_line(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    history: Annotated[
        int, Query(ge=0, le=120, description="Recent readings per machine.")
    ] = 0,
) -> LinePublic:
    """Every machine with its sensors, newest reading and recent history."""
    feed = _feed(request, services, principal)
    machines = feed.machines()
    if history:
        for m in machines:
            m["history"] = feed.history(m["name"])[-history:]
    b = feed.config.broker
    return LinePublic(
        org=services.settings.line_org,
        connected=feed.connected.is_set(),
        broker=f"mqtt://{b.host}:{b.port}",
        alert_topic=feed.alert_topic,
        seq=feed.seq,
        machines=[MachineState(**m) for m in machines],
    )


@router.get("/alerts", response_model=list[LineAlert], responses=_ERRORS)
def list_alerts(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    machine: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[LineAlert]:
    """The newest alerts (of one machine), with the sensors that drove them."""
    feed = _feed(request, services, principal)
    return [LineAlert(**a) for a in feed.alerts(machine)[:limit]]


@router.get("/machines/{name}", response_model=MachineHistory, responses=_ERRORS)
def machine_history(
    request: Request, services: ServicesDep, principal: PrincipalDep, name: Machine
) -> MachineHistory:
    """A machine's kept readings and its alerts."""
    feed = _feed(request, services, principal)
    rows = feed.history(name)
    return MachineHistory(
        name=name,
        sensors=feed.sensors[name],
        ts=[t for t, _ in rows],
        values=[v for _, v in rows],
        alerts=[LineAlert(**a) for a in feed.alerts(name)],
    )


def _sse(event: str, seq: int, data: Any) -> str:
    return f"id: {seq}\nevent: {event}\ndata: {json.dumps(data)}\n\n"


def _frames(events: list[FeedEvent]) -> list[str]:
    """One frame for the batch's readings, one of its predictions, one per alert."""
    out = []
    readings = [
        [e.body["machine"], e.body["ts"], e.body["values"]]
        for e in events
        if e.kind == "reading"
    ]
    if readings:
        out.append(_sse("readings", events[-1].seq, readings))
    newest = {e.body["machine"]: e.body for e in events if e.kind == "prediction"}
    if newest:
        out.append(_sse("predictions", events[-1].seq, list(newest.values())))
    out += [_sse("alert", e.seq, e.body) for e in events if e.kind == "alert"]
    return out


async def _follow(
    request: Request, feed: LineFeed, since: int, interval_s: float, max_s: float
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    end = loop.time() + max_s
    yield f"retry: 1000\n{_sse('hello', feed.seq, {'seq': feed.seq})}"
    while loop.time() < end and not await request.is_disconnected():
        events = feed.events_since(since)
        if events is None:
            since = feed.seq
            yield _sse("reset", since, {"seq": since})
        elif events:
            since = events[-1].seq
            for frame in _frames(events):
                yield frame
        else:
            yield ": keep-alive\n\n"
        await asyncio.sleep(interval_s)


@router.get(
    "/stream",
    responses={
        **_ERRORS,
        200: {"content": {"text/event-stream": {}}, "description": "Events."},
    },
    response_class=StreamingResponse,
)
def stream(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    since: Annotated[
        int | None, Query(ge=0, description="Resume after this event.")
    ] = None,
    interval_s: Annotated[float, Query(ge=0.05, le=10.0)] = 0.25,
    max_s: Annotated[
        float, Query(gt=0, le=3600.0, description="Close after (then reconnect).")
    ] = 300.0,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Server-sent events: ``readings`` and ``predictions`` batches, ``alert``s."""
    feed = _feed(request, services, principal)
    start = since
    if last_event_id and last_event_id.isdigit():  # a reconnect: newer than since
        start = int(last_event_id)
    return StreamingResponse(
        _follow(request, feed, feed.seq if start is None else start, interval_s, max_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
