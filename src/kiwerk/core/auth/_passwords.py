"""Password hashing with Argon2id (memory-hard), via argon2-cffi."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass(frozen=True)
class PasswordParams:
    """Argon2id cost parameters.

    The defaults are RFC 9106's second recommended option (t=3, 64 MiB, p=4).

    Parameters
    ----------
    time_cost
        Passes over memory.
    memory_kib
        Memory per hash in KiB (at least 8 MiB).
    parallelism
        Lanes.
    min_length
        Shortest password accepted.
    """

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4
    min_length: int = 10

    def __post_init__(self) -> None:
        if self.time_cost < 1 or self.parallelism < 1:
            raise ValueError("time_cost and parallelism must be at least 1")
        if self.memory_kib < 8192:
            raise ValueError("memory_kib must be at least 8192 (8 MiB)")
        if self.min_length < 8:
            raise ValueError("min_length must be at least 8")


class PasswordHasher:
    """Hashes and verifies passwords.

    Examples
    --------
    >>> hasher = PasswordHasher(PasswordParams(time_cost=1, memory_kib=8192))
    >>> h = hasher.hash("correct horse battery")
    >>> hasher.verify(h, "correct horse battery"), hasher.verify(h, "wrong")
    (True, False)
    """

    def __init__(self, params: PasswordParams | None = None) -> None:
        self.params = params or PasswordParams()
        self._argon = _Argon2(
            time_cost=self.params.time_cost,
            memory_cost=self.params.memory_kib,
            parallelism=self.params.parallelism,
        )
        self._dummy = self._argon.hash("kiwerk-timing-equaliser")

    def hash(self, password: str) -> str:
        """The Argon2id hash of ``password``.

        Raises
        ------
        ValueError
            When the password is shorter than ``min_length``.
        """
        if len(password) < self.params.min_length:
            raise ValueError(
                f"password too short: use at least {self.params.min_length} characters"
            )
        return self._argon.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; an absent hash costs the same time."""
        try:
            return self._argon.verify(password_hash or self._dummy, password) and (
                password_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


__all__ = ["PasswordHasher", "PasswordParams"]
