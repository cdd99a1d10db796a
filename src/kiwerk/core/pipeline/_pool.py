"""The pipeline's side of the data pool: train-purpose reads and first ingest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from kiwerk.core.data import IngestReport, Pool, Purpose
from kiwerk.core.models import DatasetRef
from kiwerk.core.pipeline._spec import DomainPipeline
from kiwerk.errors import AccessDenied, DatasetUnavailable, NotFound


class PoolSource:
    """Reads pool datasets for a model, as ``actor``, with ``purpose`` ``train``.

    A train-only grant therefore suffices to train and evaluate; exporting the
    rows stays forbidden. Every read is audited by the pool.

    Parameters
    ----------
    pool
        The open pool.
    actor
        The acting user.
    purpose
        The pool purpose of the reads (``train`` for the pipeline).
    """

    def __init__(self, pool: Pool, *, actor: str, purpose: Purpose = "train") -> None:
        self.pool = pool
        self.actor = actor
        self.purpose = purpose

    def read(
        self, dataset: str, version: int | None = None
    ) -> tuple[pd.DataFrame, DatasetRef]:
        """One version's rows (latest when ``version`` is None) and its ref."""
        info = self.pool.version_info(dataset, version, actor=self.actor)
        frame = self.pool.read(
            dataset, info.version, actor=self.actor, purpose=self.purpose
        )
        org = dataset_org(self.pool, dataset, actor=self.actor)
        ref = DatasetRef(info.dataset, info.version, info.content_hash, info.rows, org)
        return frame, ref


def _owning_org(pool: Pool, actor: str, preferred: str) -> str:
    """The organisation a new dataset of ``actor`` goes to (bootstrapping a pool)."""
    orgs = pool.organisations()
    if not orgs:
        pool.bootstrap(preferred, actor)
        return preferred
    mine = [str(o["name"]) for o in orgs if actor in o["members"]]
    if preferred in mine:
        return preferred
    if len(mine) == 1:
        return mine[0]
    raise AccessDenied(
        f"user {actor!r} belongs to {len(mine)} organisations {mine}; create the "
        "dataset with `kiwerk pool create --org ...` first"
    )


def ensure_datasets(
    pool: Pool,
    pilot: DomainPipeline,
    *,
    data_dir: Path,
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> list[IngestReport]:
    """Ingest each of ``pilot``'s datasets the pool does not hold yet.

    A dataset absent from the pool is created under its contract in the
    actor's organisation (an empty pool is bootstrapped with the pilot's
    organisation, owned by ``actor``) and its file is ingested.

    Returns
    -------
    list[IngestReport]
        One report per dataset ingested now; empty when all were present.

    Raises
    ------
    DatasetUnavailable
        When a dataset must be ingested and its file is not in ``data_dir``.
    """
    reports = []
    for contract in pilot.contract.datasets:
        known = {d.name: d for d in pool.datasets(actor=actor)}
        if contract.name in known and known[contract.name].versions > 0:
            continue
        path = contract.locate(data_dir)
        if not path.is_file():
            raise DatasetUnavailable(
                f"the pool has no {contract.name!r} and its file is missing; run "
                "`kiwerk datasets fetch` or set KIWERK_DATA",
                source=str(path),
            )
        if contract.name not in known:
            org = _owning_org(pool, actor, pilot.contract.org)
            pool.create_dataset(contract.name, org=org, actor=actor, spec=contract.spec)
        reports.append(pool.ingest(path, contract.name, actor=actor, progress=progress))
    return reports


def dataset_org(pool: Pool, dataset: str, *, actor: str) -> str:
    """The organisation that owns ``dataset`` in the pool.

    Raises
    ------
    NotFound
        When ``actor`` cannot see a dataset of that name.
    """
    for info in pool.datasets(actor=actor):
        if info.name == dataset:
            return info.org
    raise NotFound(
        f"dataset {dataset!r} is not in the pool (or not visible to {actor!r})"
    )
