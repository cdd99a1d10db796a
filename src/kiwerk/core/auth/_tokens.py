"""Short-lived signed access tokens (JWT, HS256) for users."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass

import jwt

from kiwerk.errors import Unauthenticated

_ALGORITHM = "HS256"
_ISSUER = "kiwerk"


@dataclass(frozen=True)
class TokenClaims:
    """What a valid access token says."""

    subject: str
    jti: str
    issued_at: float
    expires_at: float


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

    Examples
    --------
    >>> signer = TokenSigner("a-long-test-secret", ttl_s=60)
    >>> issued = signer.issue("ada")
    >>> signer.decode(issued.token).subject
    'ada'
    """

    def __init__(self, secret: str, *, ttl_s: float = 900.0) -> None:
        if not secret:
            raise ValueError("the token secret must not be empty")
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        # A derived 256-bit key: domain-separated from other uses of the secret.
        self._secret = hashlib.sha256(
            b"kiwerk-access-token:" + secret.encode()
        ).digest()
        self.ttl_s = ttl_s

    def issue(self, subject: str, *, now: float | None = None) -> IssuedToken:
        """Sign a token for ``subject`` valid for ``ttl_s`` seconds."""
        issued = time.time() if now is None else now
        claims = TokenClaims(subject, uuid.uuid4().hex, issued, issued + self.ttl_s)
        token = jwt.encode(
            {
                "sub": subject,
                "jti": claims.jti,
                "iat": int(issued),
                "exp": claims.expires_at,
                "iss": _ISSUER,
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
                options={"require": ["sub", "jti", "exp", "iat", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the access token has expired; log in again") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("the access token is invalid") from exc
        return TokenClaims(
            str(data["sub"]), str(data["jti"]), float(data["iat"]), float(data["exp"])
        )


__all__ = ["IssuedToken", "TokenClaims", "TokenSigner"]
