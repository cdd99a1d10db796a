"""Per-dataset ingest locks and the clean-up after a crashed ingest.

An ingest holds its dataset's file lock from the first byte it stages until
its catalog row commits, so whoever holds the lock knows that anything in the
dataset's staging folder, and any version folder the catalog does not list,
is debris of a process that died.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from kiwerk.core.data._catalog import Catalog
from kiwerk.errors import Conflict


@contextmanager
def dataset_lock(
    root: Path, dataset: str, timeout: float, *, wait: bool = True
) -> Iterator[bool]:
    """Hold ``dataset``'s ingest lock; yield whether it was acquired.

    With ``wait`` the lock is awaited up to ``timeout`` seconds, then
    :class:`~kiwerk.errors.Conflict` is raised; without, it yields ``False``
    at once when another process holds it.
    """
    lock = FileLock(
        root / "locks" / f"ds-{dataset}.lock", timeout=timeout if wait else 0
    )
    try:
        lock.acquire()
    except Timeout as exc:
        if not wait:
            yield False
            return
        raise Conflict(
            f"another ingest into {dataset!r} still runs after {timeout:g} s; "
            "try again later"
        ) from exc
    try:
        yield True
    finally:
        lock.release()


def remove_leftovers(root: Path, catalog: Catalog, dataset: str) -> None:
    """Delete staging folders and unlisted version folders of ``dataset``.

    Call only while holding :func:`dataset_lock`.
    """
    shutil.rmtree(root / "staging" / dataset, ignore_errors=True)
    folder = root / "datasets" / dataset
    if not folder.is_dir():
        return
    with catalog.transaction() as con:
        rows = con.execute(
            "SELECT directory FROM versions WHERE dataset = ?", [dataset]
        ).fetchall()
    known = {str(r[0]) for r in rows}
    for child in folder.iterdir():
        if str(child.relative_to(root)) not in known:
            shutil.rmtree(child, ignore_errors=True)
    if not any(folder.iterdir()):
        folder.rmdir()


__all__ = ["dataset_lock", "remove_leftovers"]
