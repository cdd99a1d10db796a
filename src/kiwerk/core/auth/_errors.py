"""Errors of authentication and rate limiting.

They extend :mod:`kiwerk.errors` so that the CLI and the API map them like the
rest: :class:`Unauthenticated` (no, bad, expired or revoked credentials) is a
kind of :class:`~kiwerk.errors.AccessDenied` that the API answers with 401;
:class:`RateLimited` carries the seconds to wait and is answered with 429.
"""

from __future__ import annotations

from kiwerk.errors import AccessDenied, KiwerkError


class Unauthenticated(AccessDenied):
    """Credentials are missing, malformed, expired, revoked or wrong."""


class RateLimited(KiwerkError):
    """A key sent more requests than its rate allows.

    Parameters
    ----------
    message
        What happened.
    retry_after
        Seconds until the next request will be accepted.
    """

    exit_code = 9

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


__all__ = ["RateLimited", "Unauthenticated"]
