"""Browser sessions: the access token in a cookie, with CSRF protection.

``POST /auth/session`` issues the same signed token as ``POST /auth/token``
but keeps it in the cookie :data:`SESSION_COOKIE` (``HttpOnly``,
``SameSite=Strict``, ``Path=/``), and sets :data:`CSRF_COOKIE`, readable by
the page's script. A request authenticated by the session cookie with an
unsafe method (anything but GET, HEAD, OPTIONS) must repeat that CSRF value
in the header :data:`CSRF_HEADER` (double submit). The value is an HMAC of
the token's id under the server's secret, so a cookie planted by another
site cannot be paired with a header of the attacker's choosing.

Bearer tokens and API keys are unaffected: they are never sent by a browser
on its own, so they need no CSRF check.

A session slides: a cookie request whose token is older than
``ApiParams.session_renew_s`` gets a fresh token of the same session (same
``sid``, so the CSRF value stays and logging out ends every token of it),
valid for another ``token_ttl_s`` — the idle limit — but never beyond
``session_max_s`` after the login. The dependency leaves the new token in
the request's state (:data:`RENEWED`); :class:`SessionRenewal`, an ASGI
middleware, sets it as the cookie on whatever response goes out.

Examples
--------
>>> a = csrf_token("secret", "jti-1")
>>> a == csrf_token("secret", "jti-1"), a == csrf_token("secret", "jti-2")
(True, False)
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "kiwerk_session"
CSRF_COOKIE = "kiwerk_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RENEWED = "kiwerk_session_renewed"


def csrf_token(secret: str, jti: str) -> str:
    """The CSRF value bound to the session token with id ``jti``."""
    mac = hmac.new(secret.encode(), f"csrf:{jti}".encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_ok(request: Request, secret: str, jti: str) -> bool:
    """Whether a cookie-authenticated request may proceed (safe or CSRF header ok)."""
    if request.method in SAFE_METHODS:
        return True
    sent = request.headers.get(CSRF_HEADER, "")
    return hmac.compare_digest(sent, csrf_token(secret, jti))


def set_session(
    response: Response, token: str, csrf: str, *, max_age: int, secure: bool
) -> None:
    """Put the session and CSRF cookies on ``response``."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=max_age,
        path="/",
        httponly=False,
        samesite="strict",
        secure=secure,
    )


def renew(request: Request, token: str, csrf: str, max_age: int) -> None:
    """Ask :class:`SessionRenewal` to set a renewed session on the response."""
    secure = request.url.scheme == "https"
    setattr(request.state, RENEWED, (token, csrf, max_age, secure))


def drop_renewal(request: Request) -> None:
    """Forget a pending renewal (the session is being closed)."""
    if hasattr(request.state, RENEWED):
        delattr(request.state, RENEWED)


class SessionRenewal:
    """ASGI middleware: put a renewed session's cookies on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})

        async def send_renewed(message: Message) -> None:
            renewed = state.get(RENEWED)
            if message["type"] == "http.response.start" and renewed:
                cookies = Response()
                token, csrf, max_age, secure = renewed
                set_session(cookies, token, csrf, max_age=max_age, secure=secure)
                extra = [(k, v) for k, v in cookies.raw_headers if k == b"set-cookie"]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_renewed)


def clear_session(response: Response, *, secure: bool) -> None:
    """Remove the session and CSRF cookies."""
    for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(
            name, path="/", httponly=httponly, samesite="strict", secure=secure
        )


__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "RENEWED",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "SessionRenewal",
    "clear_session",
    "csrf_ok",
    "csrf_token",
    "drop_renewal",
    "renew",
    "set_session",
]
