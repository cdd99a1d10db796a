"""A pure ASGI guard in front of the app: body size limits and content types.

Requests whose body is larger than allowed are answered 413 before the
app reads more than the limit (declared ``Content-Length`` checked up front,
streamed bodies counted as they arrive); bodies of a type the endpoint does
not take are answered 415. Both become problem details and a log line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException

from kiwerk.interfaces.api.errors import PROBLEM, TYPE_BASE

log = logging.getLogger("kiwerk.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON = ("application/json",)
FORM = ("application/x-www-form-urlencoded", "multipart/form-data")
UPLOAD = ("multipart/form-data",)


class _TooLarge(StarletteHTTPException):
    """Raised while reading a body past its limit; FastAPI passes it through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


def accepted_types(method: str, path: str) -> tuple[str, ...]:
    """The request content types an endpoint takes.

    Examples
    --------
    >>> accepted_types("POST", "/datasets/pumps/versions")
    ('multipart/form-data',)
    >>> accepted_types("POST", "/auth/token")[0]
    'application/x-www-form-urlencoded'
    """
    if (
        method == "POST"
        and path.startswith("/datasets/")
        and path.endswith("/versions")
    ):
        return UPLOAD
    if path == "/auth/token":
        return FORM
    return JSON


class RequestGuard:
    """Refuse oversized bodies (413) and unexpected content types (415).

    Parameters
    ----------
    app
        The wrapped ASGI app.
    max_body_bytes
        Limit of ordinary (JSON, form) bodies.
    max_upload_bytes
        Limit of dataset uploads.
    """

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in scope["headers"]
        }
        types = accepted_types(method, path)
        limit = self.max_upload_bytes if types is UPLOAD else self.max_body_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _refuse(send, path, 413, f"request body larger than {limit} bytes")
            return
        has_body = (
            length.isdigit() and int(length) > 0
        ) or "transfer-encoding" in headers
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if has_body and ctype not in types:
            await _refuse(
                send,
                path,
                415,
                f"content type {ctype or 'none'!r} not accepted here; "
                f"send one of {list(types)}",
            )
            return
        await self._guarded(scope, receive, send, limit)

    async def _guarded(
        self, scope: Scope, receive: Receive, send: Send, limit: int
    ) -> None:
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _refuse(
                    send, scope["path"], 413, f"request body larger than {limit} bytes"
                )


async def _refuse(send: Send, path: str, status: int, detail: str) -> None:
    title = {413: "Content Too Large", 415: "Unsupported Media Type"}[status]
    log.warning("%s on %s: %s", status, path, detail)
    body = json.dumps(
        {
            "type": TYPE_BASE + title.lower().replace(" ", "-"),
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


__all__ = ["RequestGuard", "accepted_types"]
