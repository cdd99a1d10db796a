"""Shared helpers of the domain views: the pilot of a view, its model and data.

A view belongs to the organisation of its pilot's data contract; members see
it, everyone else gets 404 (as for ``/models``). Views that take seconds to
compute (a fleet's trajectories, a day's tours) are cached per app by their
inputs for ``ttl_s``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
from fastapi import Request

from kiwerk.core.pipeline import DomainPipeline
from kiwerk.core.serving import ServedModel
from kiwerk.errors import NotFound
from kiwerk.interfaces.api.deps import Principal, Services
from kiwerk.interfaces.api.errors import ProblemError

T = TypeVar("T")


class ViewCache:
    """Results of slow views by key, each kept ``ttl_s`` seconds (at most ``size``)."""

    def __init__(self, ttl_s: float = 600.0, size: int = 32) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._items: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """The cached value of ``key``, computed (outside the lock) when absent."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
        if hit is not None and now - hit[0] < self.ttl_s:
            value: T = hit[1]
            return value
        value = compute()
        with self._lock:
            if len(self._items) >= self.size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (now, value)
        return value


def view_cache(request: Request) -> ViewCache:
    """The app's cache of slow views."""
    cache: ViewCache | None = getattr(request.app.state, "view_cache", None)
    if cache is None:
        cache = request.app.state.view_cache = ViewCache()
    return cache


def visible_pilot(services: Services, principal: Principal, name: str) -> str:
    """The caller's role in the organisation of pilot ``name``; else 404."""
    pilot = services.models.pilot(name)
    role = services.roles.get(principal.actor).get(pilot.contract.org)
    if role is None:
        raise ProblemError(404, f"no {name} view is visible to you")
    return role


def served_model(services: Services, pilot: str, version: str | None) -> ServedModel:
    """The registered model of ``pilot`` at ``version``; 404 when never trained."""
    try:
        return services.models.served(pilot, version)
    except NotFound as exc:
        raise ProblemError(
            404, f"model {pilot!r} has no registered version {version or ''}: {exc}"
        ) from exc


def trained_on(
    services: Services, principal: Principal, served: ServedModel, dataset: str
) -> tuple[pd.DataFrame, int]:
    """The version of ``dataset`` the model was trained on, read as the caller."""
    for ref in served.record.datasets:
        if ref.name == dataset:
            frame = services.pool.read(
                dataset, ref.version, actor=principal.actor, purpose="read"
            )
            return frame, ref.version
    raise ProblemError(
        404, f"model {served.record.name} v{served.record.version} names no {dataset}"
    )


def pilot_of(services: Services, name: str) -> DomainPipeline:
    """The catalog's pilot ``name``."""
    return services.models.pilot(name)


__all__ = [
    "ViewCache",
    "pilot_of",
    "served_model",
    "trained_on",
    "view_cache",
    "visible_pilot",
]
