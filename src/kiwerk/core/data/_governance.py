"""Governance half of the pool: organisations, users, roles, datasets, grants.

:class:`Governance` opens the catalog, the secrets and the audit log;
:class:`~kiwerk.core.data.Pool` adds the data operations on top.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from kiwerk.core.data import _access as acl
from kiwerk.core.data._audit import AuditLog
from kiwerk.core.data._catalog import Catalog, now
from kiwerk.core.data._ingest import DATA_FILE
from kiwerk.core.data._privacy import (
    Pseudonymiser,
    k_anonymity,
    load_secrets,
)
from kiwerk.core.data._spec import DatasetSpec
from kiwerk.core.data._types import (
    DatasetInfo,
    Level,
    Role,
    check_name,
)
from kiwerk.errors import AccessDenied, ConfigError, Conflict, NotFound


class Governance:
    """Organisations, users, roles, datasets and grants of a pool folder.

    Every method takes the acting user as ``actor`` and checks that user's
    role or grant first; every change is audited in its own transaction.
    """

    def __init__(self, root: Path, *, secrets_path: Path, lock_timeout: float) -> None:
        self.root = root
        self.lock_timeout = lock_timeout
        for sub in ("locks", "staging", "datasets"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        keys = load_secrets(secrets_path, pool_root=root)
        self._pseudonymiser = Pseudonymiser(keys.pseudonym_key)
        self.catalog = Catalog(root, lock_timeout=lock_timeout)
        self.audit = AuditLog(self.catalog, keys.audit_key)
        self._check_keys(keys.audit_key, secrets_path)

    def _check_keys(self, key: bytes, secrets_path: Path) -> None:
        """Refuse a secrets file whose keys are not the ones this pool was made with."""
        key_id = hashlib.sha256(b"kiwerk-key-id:" + key).hexdigest()[:32]
        with self.catalog.transaction() as con:
            con.execute("INSERT OR IGNORE INTO meta VALUES ('key_id', ?)", [key_id])
            row = con.execute("SELECT value FROM meta WHERE key = 'key_id'").fetchone()
        if row is None or row[0] != key_id:
            raise ConfigError(
                f"the secrets file {secrets_path} does not hold this pool's keys "
                f"(pool {self.root}); restore the original secrets file"
            )

    # -- organisations and users -------------------------------------------

    def bootstrap(self, org: str, owner: str) -> None:
        """Create the first organisation and its owner in a pool with no users.

        Raises
        ------
        Conflict
            When the pool already has users.
        """
        check_name("organisation", org)
        check_name("user", owner)
        with self.catalog.transaction() as con:
            if con.execute("SELECT count(*) FROM users").fetchone() != (0,):
                raise Conflict("the pool is already initialised; ask an owner")
            con.execute(
                "INSERT OR IGNORE INTO orgs VALUES (?, ?, ?)", [org, now(), owner]
            )
            con.execute(
                "INSERT INTO users VALUES (?, ?, 'owner', ?)", [owner, org, now()]
            )
            self.audit.write(con, owner, "bootstrap", org, {"owner": owner})

    def create_organisation(self, name: str, *, actor: str) -> None:
        """Create an organisation; ``actor`` must own an organisation already."""
        check_name("organisation", name)
        with self.catalog.transaction() as con:
            acl.require_any_owner(con, actor)
            if con.execute("SELECT 1 FROM orgs WHERE name = ?", [name]).fetchone():
                raise Conflict(f"organisation {name!r} already exists")
            con.execute("INSERT INTO orgs VALUES (?, ?, ?)", [name, now(), actor])
            self.audit.write(con, actor, "create_org", name)

    def add_user(self, name: str, *, org: str, role: Role, actor: str) -> None:
        """Give ``name`` a ``role`` in ``org``; ``actor`` must own ``org``.

        The first user of a new organisation may be added by the owner of
        any organisation.
        """
        check_name("user", name)
        if role not in ("owner", "analyst", "viewer"):
            raise ValueError(f"role must be owner, analyst or viewer, not {role!r}")
        with self.catalog.transaction() as con:
            members = con.execute(
                "SELECT count(*) FROM users WHERE org = ?", [org]
            ).fetchone()
            if members == (0,):
                if (
                    con.execute("SELECT 1 FROM orgs WHERE name = ?", [org]).fetchone()
                    is None
                ):
                    raise NotFound(f"unknown organisation {org!r}")
                acl.require_any_owner(con, actor)
            else:
                acl.require_role(con, actor, org, "owner")
            con.execute(
                "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)",
                [name, org, role, now()],
            )
            self.audit.write(con, actor, "add_user", f"{org}/{name}", {"role": role})

    def require_role(self, actor: str, org: str, role: Role) -> None:
        """Raise :class:`~kiwerk.errors.AccessDenied` unless ``actor`` has ``role``."""
        with self.catalog.transaction() as con:
            acl.require_role(con, actor, org, role)

    def organisations(self) -> list[dict[str, Any]]:
        """Every organisation with its members and their roles."""
        with self.catalog.transaction() as con:
            orgs = con.execute(
                "SELECT name, created_at FROM orgs ORDER BY name"
            ).fetchall()
            users = con.execute(
                "SELECT org, name, role FROM users ORDER BY name"
            ).fetchall()
        return [
            {
                "name": o,
                "created_at": t,
                "members": {u: r for org, u, r in users if org == o},
            }
            for o, t in orgs
        ]

    # -- datasets and grants ------------------------------------------------

    def create_dataset(
        self, name: str, *, org: str, actor: str, spec: DatasetSpec | None = None
    ) -> None:
        """Create an empty dataset owned by ``org`` (``actor``: analyst or owner)."""
        check_name("dataset", name)
        with self.catalog.transaction() as con:
            acl.require_role(con, actor, org, "analyst")
            if con.execute("SELECT 1 FROM datasets WHERE name = ?", [name]).fetchone():
                raise Conflict.name_taken("dataset", name)
            body = (spec or DatasetSpec()).to_json()
            con.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?)",
                [name, org, body, now(), actor],
            )
            self.audit.write(con, actor, "create_dataset", name, {"org": org})

    def set_spec(self, dataset: str, spec: DatasetSpec, *, actor: str) -> None:
        """Replace the contract used by later ingests of ``dataset``."""
        with self.catalog.transaction() as con:
            row = acl.dataset_row(con, dataset)
            acl.require_role(con, actor, row.org, "analyst")
            con.execute(
                "UPDATE datasets SET spec = ? WHERE name = ?", [spec.to_json(), dataset]
            )
            self.audit.write(con, actor, "set_spec", dataset, spec.to_dict())

    def spec(self, dataset: str, *, actor: str) -> DatasetSpec:
        """The current contract of ``dataset``."""
        with self.catalog.transaction() as con:
            row = acl.dataset_row(con, dataset)
            acl.require_access(con, actor, row, "metadata")
        return row.spec

    def datasets(self, *, actor: str) -> list[DatasetInfo]:
        """The datasets ``actor`` can see, with the access they have."""
        with self.catalog.transaction() as con:
            names = con.execute(
                "SELECT d.name, d.org, d.created_at, count(v.version) "
                "FROM datasets d LEFT JOIN versions v ON v.dataset = d.name "
                "GROUP BY ALL ORDER BY d.name"
            ).fetchall()
            out = []
            for name, org, created, count in names:
                level = acl.access(con, actor, acl.dataset_row(con, name))
                if level is not None:
                    out.append(DatasetInfo(name, org, int(count), created, level))
        return out

    def grant(self, dataset: str, *, to_org: str, level: Level, actor: str) -> None:
        """Share ``dataset`` with ``to_org`` for ``read`` or ``train`` only.

        Raises
        ------
        AccessDenied
            When ``actor`` does not own the dataset's organisation, or its
            latest version is not k-anonymous on its quasi-identifiers.
        """
        if level not in ("read", "train"):
            raise ValueError(f"grant level must be 'read' or 'train', not {level!r}")
        with self.catalog.transaction() as con:
            row = acl.dataset_row(con, dataset)
            acl.require_role(con, actor, row.org, "owner")
            if (
                con.execute("SELECT 1 FROM orgs WHERE name = ?", [to_org]).fetchone()
                is None
            ):
                raise NotFound(f"unknown organisation {to_org!r}")
            latest = con.execute(
                "SELECT directory FROM versions WHERE dataset = ? "
                "ORDER BY version DESC LIMIT 1",
                [dataset],
            ).fetchone()
            if latest is not None and row.spec.quasi_identifiers:
                report = k_anonymity(
                    self.root / str(latest[0]) / DATA_FILE,
                    row.spec.quasi_identifiers,
                    row.spec.k,
                )
                if not report.passed:
                    raise AccessDenied(
                        f"refusing to share {dataset!r}: "
                        f"{report.groups_below_k} groups of "
                        f"{list(row.spec.quasi_identifiers)} have fewer than "
                        f"k={row.spec.k} rows (smallest {report.k_min})"
                    )
            con.execute(
                "INSERT OR REPLACE INTO grants VALUES (?, ?, ?, ?, ?)",
                [dataset, to_org, level, now(), actor],
            )
            self.audit.write(
                con, actor, "grant", dataset, {"org": to_org, "level": level}
            )

    def revoke(self, dataset: str, *, from_org: str, actor: str) -> None:
        """Withdraw the grant of ``dataset`` to ``from_org``."""
        with self.catalog.transaction() as con:
            row = acl.dataset_row(con, dataset)
            acl.require_role(con, actor, row.org, "owner")
            con.execute(
                "DELETE FROM grants WHERE dataset = ? AND org = ?", [dataset, from_org]
            )
            self.audit.write(con, actor, "revoke", dataset, {"org": from_org})

    def grants(self, dataset: str, *, actor: str) -> dict[str, str]:
        """Organisation → level of every grant on ``dataset``."""
        with self.catalog.transaction() as con:
            row = acl.dataset_row(con, dataset)
            acl.require_role(con, actor, row.org, "viewer")
            rows = con.execute(
                "SELECT org, level FROM grants WHERE dataset = ? ORDER BY org",
                [dataset],
            ).fetchall()
        return {str(o): str(lv) for o, lv in rows}
