"""Errors as RFC 9457 problem details, mapped from :mod:`kiwerk.errors` in one place.

Every error response has the media type ``application/problem+json`` and the
members ``type``, ``title``, ``status`` and ``detail``; validation errors add
``errors`` (where and what). Core code never picks a status: :data:`STATUS`
does, most specific class first.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiwerk.core.models import PromotionRefused
from kiwerk.errors import (
    AccessDenied,
    ChecksumError,
    ConfigError,
    Conflict,
    ContractViolation,
    DataError,
    DataFormatError,
    DatasetUnavailable,
    IntegrityError,
    KiwerkError,
    NotFittedError,
    NotFound,
    RateLimited,
    Unauthenticated,
)

log = logging.getLogger("kiwerk.api")
PROBLEM = "application/problem+json"
TYPE_BASE = "https://kiwerk.dev/problems/"

#: Error class → HTTP status; the first matching class (in this order) wins.
STATUS: tuple[tuple[type[Exception], int], ...] = (
    (Unauthenticated, 401),
    (RateLimited, 429),
    (AccessDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (NotFittedError, 409),
    (PromotionRefused, 422),
    (ContractViolation, 422),
    (DataFormatError, 422),
    (DatasetUnavailable, 503),
    (ChecksumError, 500),
    (DataError, 422),
    (IntegrityError, 500),
    (ConfigError, 500),
    (KiwerkError, 400),
    (ValueError, 422),
)


def status_of(exc: Exception) -> int:
    """The HTTP status for ``exc``.

    Examples
    --------
    >>> status_of(NotFound("x")), status_of(ContractViolation("y"))
    (404, 422)
    """
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 500)


class ProblemError(Exception):
    """Raised by the API layer itself to answer a problem (413, 415, 404, ...)."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem-details response."""
    title = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": TYPE_BASE + title.lower().replace(" ", "-").replace("'", ""),
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    if instance:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _kiwerk_handler(request: Request, exc: Exception) -> JSONResponse:
    status = status_of(exc)
    headers = None
    if isinstance(exc, Unauthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, RateLimited):
        headers = {"Retry-After": str(max(1, round(exc.retry_after + 0.5)))}
    extra: dict[str, Any] = {}
    if isinstance(exc, DataError):
        extra = {
            k: v
            for k, v in (
                ("source", exc.source),
                ("line", exc.line),
                ("field", exc.field),
            )
            if v is not None
        }
    if status >= 500:
        log.error("error on %s %s", request.method, request.url.path, exc_info=exc)
        detail = "the server could not complete the request; see its log"
    else:
        log.warning("%s on %s %s: %s", status, request.method, request.url.path, exc)
        detail = str(exc)
    return problem(status, detail, instance=request.url.path, headers=headers, **extra)


def _problem_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    log.warning("%s on %s %s: %s", exc.status, request.method, request.url.path, exc)
    return problem(exc.status, exc.detail, instance=request.url.path, **exc.extra)


def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(
        exc.status_code,
        str(exc.detail),
        instance=request.url.path,
        headers=dict(exc.headers or {}),
    )


def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
    log.warning("422 on %s %s: %s", request.method, request.url.path, where)
    return problem(
        422, f"invalid request: {where}", instance=request.url.path, errors=errors
    )


def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unexpected error on %s %s", request.method, request.url.path, exc_info=exc
    )
    return problem(
        500,
        "the server could not complete the request; see its log",
        instance=request.url.path,
    )


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(ProblemError, _problem_handler)
    app.add_exception_handler(KiwerkError, _kiwerk_handler)
    app.add_exception_handler(ValueError, _kiwerk_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


#: OpenAPI description of a problem response, for ``responses=`` of routes.
def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for problem details with these codes."""
    return {
        code: {
            "description": HTTPStatus(code).phrase,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


__all__ = [
    "PROBLEM",
    "STATUS",
    "ProblemError",
    "install",
    "problem",
    "problem_responses",
    "status_of",
]
