"""The governed data pool: versioned datasets, organisations, grants, audit.

Layout of a pool folder::

    catalog.duckdb            orgs, users, datasets, versions, grants, audit
    locks/                    catalog.lock and one lock per dataset
    staging/<dataset>/<id>/   versions being written (never read)
    datasets/<dataset>/v<N>/  data.parquet, quarantine.parquet, quality.json/html

A version becomes visible only when its catalog row commits; its folder is
renamed into place inside that same transaction, so a crash at any point
leaves either the old pool or the complete new version, and the next
:meth:`Pool.open` or ingest removes any leftover folder.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from kiwerk.core.data import _access as acl
from kiwerk.core.data._catalog import now
from kiwerk.core.data._governance import Governance
from kiwerk.core.data._ingest import DATA_FILE, QUARANTINE_FILE, StagedVersion, stage
from kiwerk.core.data._privacy import KAnonymityReport, k_anonymity
from kiwerk.core.data._quality import QualityReport
from kiwerk.core.data._query import VersionDiff, diff_versions, export_file, run_sql
from kiwerk.core.data._recovery import dataset_lock, remove_leftovers
from kiwerk.core.data._types import IngestReport, Purpose, VersionInfo
from kiwerk.errors import NotFound

_VERSION_COLUMNS = (
    "dataset, version, content_hash, rows, created_at, created_by, quarantined, "
    "columns, source, k_min, directory"
)


class Pool(Governance):
    """A governed data pool in a folder.

    Open it with :meth:`open`; every method takes the acting user as ``actor``
    and checks that user's role or grant first.

    Examples
    --------
    >>> import tempfile
    >>> home = Path(tempfile.mkdtemp())
    >>> pool = Pool.open(home / "pool", secrets_path=home / "secrets.toml")
    >>> pool.bootstrap("acme", "ada")
    >>> pool.create_dataset("pumps", org="acme", actor="ada")
    >>> [d.name for d in pool.datasets(actor="ada")]
    ['pumps']
    """

    @classmethod
    def open(
        cls, root: Path, *, secrets_path: Path, lock_timeout: float = 600.0
    ) -> Pool:
        """Open the pool in ``root``, creating it (and its secrets) if absent.

        Leftovers of ingests that crashed are removed.
        """
        pool = cls(root, secrets_path=secrets_path, lock_timeout=lock_timeout)
        names = {p.name for p in (root / "datasets").iterdir()}
        names |= {p.name for p in (root / "staging").iterdir()}
        for name in sorted(names):
            pool.recover(name, wait=False)
        return pool

    def recover(self, dataset: str, *, wait: bool = True) -> None:
        """Remove staging folders and unpublished version folders of ``dataset``."""
        with dataset_lock(self.root, dataset, self.lock_timeout, wait=wait) as held:
            if held:
                remove_leftovers(self.root, self.catalog, dataset)

    # -- writing ---------------------------------------------------------------

    def ingest(
        self,
        path: Path,
        dataset: str,
        *,
        actor: str,
        progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Write ``path`` (CSV, Parquet, JSON lines) as the next version of ``dataset``.

        The file streams through the contract checks, pseudonymisation and
        quality report into a staging folder; only a complete, valid version
        is published. Concurrent ingests into one dataset run one after the
        other. ``progress`` is called with the rows read so far.

        Raises
        ------
        DataFormatError
            For a malformed, empty, mislabelled or wrongly encoded file.
        ContractViolation
            When rows break the contract under the ``reject`` policy.
        NotFound, AccessDenied, Conflict
            For an unknown dataset, a missing role, or a lock timeout.
        """
        with self.catalog.transaction() as con:
            row = acl.dataset_row(con, dataset)
            acl.require_role(con, actor, row.org, "analyst")
        with dataset_lock(self.root, dataset, self.lock_timeout):
            remove_leftovers(self.root, self.catalog, dataset)
            staging = self.root / "staging" / dataset / uuid.uuid4().hex
            try:
                staged = stage(
                    path, row.spec, staging, self._pseudonymiser, progress=progress
                )
                version = self._publish(dataset, staged, path, actor)
            finally:
                shutil.rmtree(staging.parent, ignore_errors=True)
        staged.quality.dataset, staged.quality.version = dataset, version
        return IngestReport(
            dataset,
            version,
            staged.content_hash,
            staged.rows,
            staged.quarantined,
            staged.quality,
        )

    def _publish(
        self, dataset: str, staged: StagedVersion, path: Path, actor: str
    ) -> int:
        with self.catalog.transaction() as con:
            row = con.execute(
                "SELECT coalesce(max(version), 0) FROM versions WHERE dataset = ?",
                [dataset],
            ).fetchone()
            version = int(row[0]) + 1 if row else 1
            report = staged.quality
            report.dataset, report.version = dataset, version
            (staged.directory / "quality.json").write_text(
                report.to_json(), encoding="utf-8"
            )
            (staged.directory / "quality.html").write_text(
                report.to_html(), encoding="utf-8"
            )
            target = self.root / "datasets" / dataset / f"v{version}"
            target.parent.mkdir(parents=True, exist_ok=True)
            directory = str(target.relative_to(self.root))
            con.execute(
                "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    dataset,
                    version,
                    directory,
                    staged.content_hash,
                    staged.rows,
                    staged.quarantined,
                    json.dumps(staged.columns),
                    path.name,
                    report.k_min,
                    now(),
                    actor,
                ],
            )
            self.audit.write(
                con,
                actor,
                "ingest",
                f"{dataset}@{version}",
                {
                    "source": path.name,
                    "rows": staged.rows,
                    "quarantined": staged.quarantined,
                    "content_hash": staged.content_hash,
                },
            )
            staged.directory.rename(target)  # last step before COMMIT
        return version

    def check(self, path: Path, dataset: str, *, actor: str) -> QualityReport:
        """Check ``path`` against ``dataset``'s contract without storing anything."""
        with self.catalog.transaction() as con:
            row = acl.dataset_row(con, dataset)
            acl.require_role(con, actor, row.org, "analyst")
        # Outside the pool: a check must not collide with recovery or ingests.
        scratch = Path(tempfile.mkdtemp(prefix="kiwerk-check-"))
        try:
            report = stage(
                path, row.spec, scratch, self._pseudonymiser, dry_run=True
            ).quality
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        report.dataset = dataset
        return report

    # -- reading -----------------------------------------------------------------

    def _version_row(
        self, con: duckdb.DuckDBPyConnection, dataset: str, version: int | None
    ) -> tuple[VersionInfo, Path]:
        query = f"SELECT {_VERSION_COLUMNS} FROM versions WHERE dataset = ?"
        params: list[object] = [dataset]
        if version is None:
            query += " ORDER BY version DESC LIMIT 1"
        else:
            query += " AND version = ?"
            params.append(version)
        row = con.execute(query, params).fetchone()
        if row is None:
            what = (
                "has no versions yet"
                if version is None
                else f"has no version {version}"
            )
            raise NotFound(
                f"dataset {dataset!r} {what}; see `kiwerk pool versions {dataset}`"
            )
        info = VersionInfo(
            dataset=str(row[0]),
            version=int(row[1]),
            content_hash=str(row[2]),
            rows=int(row[3]),
            created_at=str(row[4]),
            created_by=str(row[5]),
            quarantined=int(row[6]),
            columns=tuple(json.loads(row[7])),
            source=str(row[8]),
            k_min=None if row[9] is None else int(row[9]),
        )
        return info, self.root / str(row[10])

    def _resolve(
        self, dataset: str, version: int | None, actor: str, purpose: str
    ) -> tuple[VersionInfo, Path]:
        with self.catalog.transaction() as con:
            row = acl.dataset_row(con, dataset)
            info, folder = self._version_row(con, dataset, version)
            acl.require_access(con, actor, row, purpose, k_min=info.k_min)
        return info, folder

    def version_info(
        self, dataset: str, version: int | None = None, *, actor: str
    ) -> VersionInfo:
        """Catalog facts of one version (latest when ``version`` is None)."""
        return self._resolve(dataset, version, actor, "metadata")[0]

    def versions(self, dataset: str, *, actor: str) -> list[VersionInfo]:
        """Every version of ``dataset``, oldest first."""
        with self.catalog.transaction() as con:
            row = acl.dataset_row(con, dataset)
            acl.require_access(con, actor, row, "metadata")
            numbers = con.execute(
                "SELECT version FROM versions WHERE dataset = ? ORDER BY version",
                [dataset],
            ).fetchall()
            return [self._version_row(con, dataset, int(n[0]))[0] for n in numbers]

    def read(
        self,
        dataset: str,
        version: int | None = None,
        *,
        actor: str,
        purpose: Purpose = "read",
    ) -> pd.DataFrame:
        """The rows of one version.

        A train-only grant allows ``purpose="train"`` only.
        """
        if purpose not in ("read", "train", "export"):
            raise ValueError(f"purpose must be read, train or export, not {purpose!r}")
        info, folder = self._resolve(dataset, version, actor, purpose)
        frame: pd.DataFrame = pq.read_table(folder / DATA_FILE).to_pandas()
        self.audit.append(
            actor, purpose, f"{dataset}@{info.version}", {"rows": len(frame)}
        )
        return frame

    def data_file(
        self,
        dataset: str,
        version: int | None = None,
        *,
        actor: str,
        purpose: Purpose = "read",
    ) -> tuple[VersionInfo, Path]:
        """One version's facts and its Parquet file, for readers that stream it.

        Access is checked and the read is audited as by :meth:`read`; the
        file must be treated as read-only.
        """
        if purpose not in ("read", "train", "export"):
            raise ValueError(f"purpose must be read, train or export, not {purpose!r}")
        info, folder = self._resolve(dataset, version, actor, purpose)
        self.audit.append(
            actor, purpose, f"{dataset}@{info.version}", {"rows": info.rows}
        )
        return info, folder / DATA_FILE

    def quarantine(
        self, dataset: str, version: int | None = None, *, actor: str
    ) -> pd.DataFrame:
        """The quarantined (pseudonymised) rows of one version; empty when none."""
        info, folder = self._resolve(dataset, version, actor, "read")
        path = folder / QUARANTINE_FILE
        frame = pq.read_table(path).to_pandas() if path.exists() else pd.DataFrame()
        self.audit.append(actor, "read_quarantine", f"{dataset}@{info.version}")
        return frame

    def quality(
        self, dataset: str, version: int | None = None, *, actor: str
    ) -> QualityReport:
        """The stored quality report of one version."""
        _, folder = self._resolve(dataset, version, actor, "metadata")
        text = (folder / "quality.json").read_text(encoding="utf-8")
        return QualityReport.from_dict(json.loads(text))

    def quality_html(
        self, dataset: str, version: int | None = None, *, actor: str
    ) -> Path:
        """The path of the stored HTML quality report of one version."""
        return self._resolve(dataset, version, actor, "metadata")[1] / "quality.html"

    def export(
        self, dataset: str, dest: Path, version: int | None = None, *, actor: str
    ) -> int:
        """Write one version to ``dest`` (``.csv``/``.parquet``); return the rows."""
        info, folder = self._resolve(dataset, version, actor, "export")
        rows = export_file(folder / DATA_FILE, dest)
        self.audit.append(
            actor,
            "export",
            f"{dataset}@{info.version}",
            {"rows": rows, "to": dest.name},
        )
        return rows

    def diff(
        self, dataset: str, old: int, new: int | None = None, *, actor: str
    ) -> VersionDiff:
        """Schema and row differences between two versions."""
        a, folder_a = self._resolve(dataset, old, actor, "read")
        b, folder_b = self._resolve(dataset, new, actor, "read")
        result = diff_versions(
            dataset,
            (a.version, folder_a / DATA_FILE),
            (b.version, folder_b / DATA_FILE),
        )
        self.audit.append(actor, "diff", dataset, {"old": a.version, "new": b.version})
        return result

    def sql(self, query: str, *, actor: str) -> pd.DataFrame:
        """Run SQL over the latest versions of every dataset ``actor`` may read."""
        tables = {}
        for info in self.datasets(actor=actor):
            if info.versions and info.access != "train":
                try:
                    _, folder = self._resolve(info.name, None, actor, "read")
                except PermissionError:
                    continue  # e.g. shared but not k-anonymous
                tables[info.name] = folder / DATA_FILE
        frame = run_sql(query, tables)
        self.audit.append(
            actor, "sql", ",".join(sorted(tables)), {"query": query, "rows": len(frame)}
        )
        return frame

    def k_anonymity(
        self,
        dataset: str,
        version: int | None = None,
        *,
        actor: str,
        quasi_identifiers: tuple[str, ...] | None = None,
        k: int | None = None,
    ) -> KAnonymityReport:
        """Check k-anonymity of a version (defaults: the dataset's spec)."""
        spec = self.spec(dataset, actor=actor)
        _, folder = self._resolve(dataset, version, actor, "read")
        columns = quasi_identifiers or spec.quasi_identifiers
        return k_anonymity(folder / DATA_FILE, tuple(columns), k or spec.k)


__all__ = ["Pool"]
