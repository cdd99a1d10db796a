"""Small value types of the pool: roles, grant levels, versions, ingest reports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from kiwerk.core.data._quality import QualityReport

Role = Literal["owner", "analyst", "viewer"]
Level = Literal["read", "train"]
Purpose = Literal["read", "train", "export"]

#: Roles from the least to the most powerful.
ROLE_RANK: dict[str, int] = {"viewer": 0, "analyst": 1, "owner": 2}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_name(kind: str, name: str) -> str:
    """Refuse names that are unsafe as folder or table names.

    Examples
    --------
    >>> check_name("dataset", "pumps-2024")
    'pumps-2024'
    """
    if not _NAME.match(name):
        raise ValueError(
            f"invalid {kind} name {name!r}: use 1-64 letters, digits, '_', '.', '-', "
            "starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class VersionInfo:
    """The catalog entry of one immutable dataset version."""

    dataset: str
    version: int
    content_hash: str
    rows: int
    created_at: str
    created_by: str
    quarantined: int
    columns: tuple[str, ...]
    source: str
    k_min: int | None


@dataclass(frozen=True)
class IngestReport:
    """What :meth:`Pool.ingest <kiwerk.core.data.Pool.ingest>` stored."""

    dataset: str
    version: int
    content_hash: str
    rows: int
    quarantined: int
    quality: QualityReport


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset as the catalog lists it."""

    name: str
    org: str
    versions: int
    created_at: str
    access: str


__all__ = [
    "ROLE_RANK",
    "DatasetInfo",
    "IngestReport",
    "Level",
    "Purpose",
    "Role",
    "VersionInfo",
    "check_name",
]
