"""Who may do what: roles in organisations and grants on datasets.

Members of a dataset's organisation may read it (viewer and up) and train on
or export it (analyst and up). Other organisations need a grant: ``read``
allows reading, training and export; ``train`` allows only training, so rows
never leave the pool. Versions whose quasi-identifiers break k-anonymity are
never given to other organisations.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from kiwerk.core.data._spec import DatasetSpec
from kiwerk.core.data._types import ROLE_RANK
from kiwerk.errors import AccessDenied, NotFound


@dataclass(frozen=True)
class DatasetRow:
    """A dataset's catalog row."""

    name: str
    org: str
    spec: DatasetSpec


def roles_of(con: duckdb.DuckDBPyConnection, user: str) -> dict[str, str]:
    """Organisation → role for every membership of ``user``."""
    rows = con.execute("SELECT org, role FROM users WHERE name = ?", [user]).fetchall()
    return {str(org): str(role) for org, role in rows}


def require_role(
    con: duckdb.DuckDBPyConnection, actor: str, org: str, role: str
) -> None:
    """Raise :class:`AccessDenied` unless ``actor`` has ``role`` or more in ``org``."""
    if con.execute("SELECT 1 FROM orgs WHERE name = ?", [org]).fetchone() is None:
        raise NotFound(f"unknown organisation {org!r}; see `kiwerk pool org list`")
    has = roles_of(con, actor).get(org)
    if has is None or ROLE_RANK[has] < ROLE_RANK[role]:
        raise AccessDenied(
            f"user {actor!r} needs role {role!r} in organisation {org!r} "
            f"(has {has or 'no role'}); ask an owner of {org!r}"
        )


def require_any_owner(con: duckdb.DuckDBPyConnection, actor: str) -> None:
    """Raise :class:`AccessDenied` unless ``actor`` owns some organisation."""
    if "owner" not in roles_of(con, actor).values():
        raise AccessDenied(f"user {actor!r} must be an owner of an organisation")


def dataset_row(con: duckdb.DuckDBPyConnection, name: str) -> DatasetRow:
    """The catalog row of dataset ``name``.

    Raises
    ------
    NotFound
        When the dataset does not exist.
    """
    row = con.execute(
        "SELECT org, spec FROM datasets WHERE name = ?", [name]
    ).fetchone()
    if row is None:
        raise NotFound(f"unknown dataset {name!r}; see `kiwerk pool list`")
    return DatasetRow(name, str(row[0]), DatasetSpec.from_json(str(row[1])))


def access(
    con: duckdb.DuckDBPyConnection, actor: str, dataset: DatasetRow
) -> str | None:
    """``actor``'s access to ``dataset``: a role name, ``read``, ``train`` or None."""
    roles = roles_of(con, actor)
    if dataset.org in roles:
        return roles[dataset.org]
    if not roles:
        return None
    marks = ", ".join("?" for _ in roles)
    levels = {
        str(r[0])
        for r in con.execute(
            f"SELECT level FROM grants WHERE dataset = ? AND org IN ({marks})",
            [dataset.name, *roles],
        ).fetchall()
    }
    return "read" if "read" in levels else ("train" if levels else None)


def require_access(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    dataset: DatasetRow,
    purpose: str,
    *,
    k_min: int | None = None,
) -> str:
    """Check that ``actor`` may use ``dataset`` for ``purpose``; return the access.

    Raises
    ------
    AccessDenied
        When the role or grant does not allow the purpose, or a version that
        breaks k-anonymity would leave its organisation.
    """
    level = access(con, actor, dataset)
    allowed = {
        "viewer": {"read", "metadata"},
        "analyst": {"read", "train", "export", "metadata"},
        "owner": {"read", "train", "export", "metadata"},
        "read": {"read", "train", "export", "metadata"},
        "train": {"train", "metadata"},
    }
    if level is None or purpose not in allowed[level]:
        how = "no role or grant" if level is None else f"only {level!r} access"
        raise AccessDenied(
            f"user {actor!r} may not {purpose} dataset {dataset.name!r} ({how}); "
            f"ask an owner of {dataset.org!r} for a grant"
        )
    spec = dataset.spec
    shared = level in ("read", "train") and purpose != "metadata"
    if shared and spec.quasi_identifiers and k_min is not None and k_min < spec.k:
        raise AccessDenied(
            f"dataset {dataset.name!r} is not {spec.k}-anonymous (smallest group of "
            f"{list(spec.quasi_identifiers)} has {k_min} rows); it stays inside "
            f"{dataset.org!r}"
        )
    return level


__all__ = [
    "DatasetRow",
    "access",
    "dataset_row",
    "require_access",
    "require_any_owner",
    "require_role",
    "roles_of",
]
