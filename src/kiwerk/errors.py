"""Every error kiwerk raises on purpose.

The hierarchy::

    KiwerkError
    ├── ConfigError (ValueError)          a setting is missing or unsafe
    ├── DataError                         data could not be read or does not fit
    │   ├── ContractViolation (ValueError)   rows break a dataset's contract
    │   ├── DataFormatError (ValueError)     a file is not what it claims to be
    │   ├── ChecksumError                    a file's sha256 does not match
    │   └── DatasetUnavailable               a dataset is absent and cannot be fetched
    ├── AccessDenied (PermissionError)    a user lacks the role or grant
    │   └── Unauthenticated                  missing, bad, expired or revoked login
    ├── NotFound (LookupError)            an unknown dataset, version, model, ...
    ├── Conflict                          a concurrent write or an existing name
    ├── IntegrityError                    stored state was tampered with
    ├── RateLimited                       a key sent more requests than allowed
    ├── ExportError                       a model cannot be exported (e.g. to ONNX)
    └── NotFittedError (ValueError, AttributeError)

The CLI turns a ``KiwerkError`` into its message and a non-zero exit; the API
maps each class to a status code in one place. Core code never decides exit or
status codes.
"""

from __future__ import annotations


class KiwerkError(Exception):
    """Root of every error kiwerk raises on purpose."""

    exit_code: int = 1


class ConfigError(KiwerkError, ValueError):
    """A setting is missing, malformed or unsafe."""

    exit_code = 2


class DataError(KiwerkError):
    """Data could not be read or does not fit what was expected.

    Parameters
    ----------
    message
        What is wrong and what to do about it.
    source
        The file or dataset the problem was found in.
    line
        The 1-based line (or row) number, where known.
    field
        The column or attribute, where known.
    """

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.field = field
        where = [
            part
            for part in (
                source,
                f"line {line}" if line is not None else None,
                f"field {field!r}" if field is not None else None,
            )
            if part
        ]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.message = message


class ContractViolation(DataError, ValueError):
    """Rows break a dataset's declared contract (types, ranges, uniqueness)."""


class DataFormatError(DataError, ValueError):
    """A file is malformed, empty, wrongly encoded or not what its name says."""


class ChecksumError(DataError):
    """A file's sha256 differs from the one its dataset declares."""


class DatasetUnavailable(DataError):
    """A dataset is neither on disk nor downloadable."""


class AccessDenied(KiwerkError, PermissionError):
    """The acting user lacks the role or grant the operation needs."""

    exit_code = 4


class Unauthenticated(AccessDenied):
    """Credentials are missing, malformed, expired, revoked or wrong."""


class NotFound(KiwerkError, LookupError):
    """An unknown dataset, version, organisation, user or model."""

    exit_code = 5


class Conflict(KiwerkError):
    """A name already exists, or a concurrent write holds the lock."""

    exit_code = 6

    @classmethod
    def name_taken(cls, kind: str, name: str) -> Conflict:
        """The one answer to a taken name, whoever holds it.

        Names of some objects are shared by every organisation on a server;
        the answer is the same whether or not the caller may see the holder
        and names no organisation, so it tells nothing about another tenant
        beyond the name being taken.

        Examples
        --------
        >>> str(Conflict.name_taken("dataset", "pumps"))  # doctest: +ELLIPSIS
        "the dataset name 'pumps' is taken on this server (...); choose another"
        """
        return cls(
            f"the {kind} name {name!r} is taken on this server ({kind} names "
            "are shared by all organisations); choose another"
        )


class IntegrityError(KiwerkError):
    """Stored state (audit log, catalog) was edited or deleted outside kiwerk."""

    exit_code = 7


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


class ExportError(KiwerkError):
    """A model cannot be exported to the requested format."""

    exit_code = 10


class NotFittedError(KiwerkError, ValueError, AttributeError):
    """A model was used before it was trained."""

    exit_code = 8


__all__ = [
    "AccessDenied",
    "ChecksumError",
    "ConfigError",
    "Conflict",
    "ContractViolation",
    "DataError",
    "DataFormatError",
    "DatasetUnavailable",
    "ExportError",
    "IntegrityError",
    "KiwerkError",
    "NotFittedError",
    "NotFound",
    "RateLimited",
    "Unauthenticated",
]
