"""Short-lived signed access tokens (JWT, HS256) for users.

A token may belong to a browser session that is renewed while it is used:
the renewed token keeps the session's id (``sid``) and the time of the login
(``auth_time``), so the session can be ended as a whole and limited in length.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from kiwerk.errors import Unauthenticated

_ALGORITHM = "HS256"
_ISSUER = "kiwerk"


@dataclass(frozen=True)
class TokenClaims:
    """What a valid access token says.

    ``session`` is the id shared by a session's renewed tokens (the first
    token's ``jti``); ``auth_time`` is when its user logged in.
    """

    subject: str
    jti: str
    issued_at: float
    expires_at: float
    session: str = ""
    auth_time: float = 0.0


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed token and its claims."""

    token: str
    claims: TokenClaims


class TokenSigner:
    """Issues and checks access tokens.

    Parameters
    ----------
    secret
        The server secret; the signing key is derived from it.
    ttl_s
        Lifetime of a token in seconds.
    clock
        The wall clock tokens are issued and checked by (replaceable in tests).

    Examples
    --------
    >>> signer = TokenSigner("a-long-test-secret", ttl_s=60)
    >>> issued = signer.issue("ada")
    >>> signer.decode(issued.token).subject
    'ada'
    """

    def __init__(
        self,
        secret: str,
        *,
        ttl_s: float = 900.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("the token secret must not be empty")
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        # A derived 256-bit key: domain-separated from other uses of the secret.
        self._secret = hashlib.sha256(
            b"kiwerk-access-token:" + secret.encode()
        ).digest()
        self.ttl_s = ttl_s
        self.clock = clock

    def issue(
        self,
        subject: str,
        *,
        now: float | None = None,
        ttl_s: float | None = None,
        session: str | None = None,
        auth_time: float | None = None,
    ) -> IssuedToken:
        """Sign a token for ``subject`` valid for ``ttl_s`` seconds.

        A renewed session token passes the ``session`` id and ``auth_time``
        of the token it replaces; a new one starts a session of its own.
        """
        issued = self.clock() if now is None else now
        jti = uuid.uuid4().hex
        claims = TokenClaims(
            subject,
            jti,
            issued,
            issued + (self.ttl_s if ttl_s is None else ttl_s),
            session or jti,
            issued if auth_time is None else auth_time,
        )
        token = jwt.encode(
            {
                "sub": subject,
                "jti": claims.jti,
                "iat": int(issued),
                "exp": claims.expires_at,
                "iss": _ISSUER,
                "sid": claims.session,
                "auth_time": claims.auth_time,
            },
            self._secret,
            algorithm=_ALGORITHM,
        )
        return IssuedToken(token, claims)

    def decode(self, token: str) -> TokenClaims:
        """Check signature, issuer and expiry; return the claims.

        Raises
        ------
        Unauthenticated
            When the token is malformed, tampered with or expired.
        """
        try:
            data = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=_ISSUER,
                options={
                    "require": ["sub", "jti", "exp", "iat", "iss"],
                    "verify_exp": False,  # checked below, against self.clock
                    "verify_iat": False,
                },
            )
            exp = float(data["exp"])
        except (jwt.InvalidTokenError, TypeError, ValueError) as exc:
            raise Unauthenticated("the access token is invalid") from exc
        if self.clock() >= exp:
            raise Unauthenticated("the access token has expired; log in again")
        jti = str(data["jti"])
        return TokenClaims(
            str(data["sub"]),
            jti,
            float(data["iat"]),
            exp,
            str(data.get("sid") or jti),
            float(data.get("auth_time", data["iat"])),
        )


__all__ = ["IssuedToken", "TokenClaims", "TokenSigner"]
