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

Examples
--------
>>> a = csrf_token("secret", "jti-1")
>>> a == csrf_token("secret", "jti-1"), a == csrf_token("secret", "jti-2")
(True, False)
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request, Response

SESSION_COOKIE = "kiwerk_session"
CSRF_COOKIE = "kiwerk_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


def clear_session(response: Response, *, secure: bool) -> None:
    """Remove the session and CSRF cookies."""
    for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(
            name, path="/", httponly=httponly, samesite="strict", secure=secure
        )


__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "clear_session",
    "csrf_ok",
    "csrf_token",
    "set_session",
]
