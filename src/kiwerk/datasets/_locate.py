"""Find a dataset under the data root: verify its files, fetch absent ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

import httpx
from rich.progress import Progress

from kiwerk.datasets._checksum import ChecksumCache
from kiwerk.datasets._download import (
    TIMEOUT,
    download_archive,
    download_file,
    transfer_progress,
)
from kiwerk.datasets._registry import DatasetSpec, FileSpec, get_dataset
from kiwerk.errors import ChecksumError, DatasetUnavailable


class FileState(StrEnum):
    """What verification found for one file."""

    OK = "ok"
    MISSING = "missing"
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class FileStatus:
    """One file's verification outcome (``actual`` is ``None`` when missing)."""

    file: FileSpec
    path: Path
    state: FileState
    actual: str | None = None


@dataclass(frozen=True)
class VerifyReport:
    """The verification of one dataset under one root."""

    dataset: DatasetSpec
    directory: Path
    files: tuple[FileStatus, ...]

    @property
    def ok(self) -> bool:
        """Every file present with the registered sha256."""
        return all(f.state is FileState.OK for f in self.files)

    @property
    def missing(self) -> tuple[FileStatus, ...]:
        """Files not on disk."""
        return tuple(f for f in self.files if f.state is FileState.MISSING)

    @property
    def mismatched(self) -> tuple[FileStatus, ...]:
        """Files on disk whose sha256 differs from the registry's."""
        return tuple(f for f in self.files if f.state is FileState.MISMATCH)

    def raise_for_mismatch(self) -> None:
        """Raise :class:`ChecksumError` naming the first mismatching file."""
        bad = self.mismatched
        if bad:
            first = bad[0]
            more = f" ({len(bad) - 1} more files differ)" if len(bad) > 1 else ""
            raise ChecksumError(
                f"sha256 mismatch: expected {first.file.sha256}, actual "
                f"{first.actual}{more}; delete the file and run "
                f"`kiwerk datasets fetch {self.dataset.name}`",
                source=str(first.path),
            )


def _resolve(dataset: str | DatasetSpec) -> DatasetSpec:
    return get_dataset(dataset) if isinstance(dataset, str) else dataset


def verify_dataset(
    dataset: str | DatasetSpec,
    root: Path,
    *,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Check every file of a dataset under ``root`` against its sha256.

    Parameters
    ----------
    dataset
        A registered name (``"skab"``) or a spec.
    root
        The data root (``KIWERK_DATA``); the dataset is ``root/<name>``.
    cache_dir
        Where the checksum cache lives; ``None`` hashes every file every time.
    progress
        A Rich progress bar to advance by the bytes hashed.
    """
    spec = _resolve(dataset)
    cache = ChecksumCache(cache_dir)
    folder = spec.directory(root)
    task = (
        progress.add_task(f"verify {spec.name}", total=spec.size) if progress else None
    )

    def advance(n: int) -> None:
        if progress is not None and task is not None:
            progress.advance(task, n)

    statuses: list[FileStatus] = []
    for file in spec.files:
        path = folder.joinpath(*PurePosixPath(file.path).parts)
        if not path.is_file():
            statuses.append(FileStatus(file, path, FileState.MISSING))
            advance(file.size)
            continue
        actual = cache.sha256(path, on_bytes=advance)
        state = FileState.OK if actual == file.sha256 else FileState.MISMATCH
        statuses.append(FileStatus(file, path, state, actual))
    cache.save()
    return VerifyReport(spec, folder, tuple(statuses))


def _unavailable(spec: DatasetSpec, root: Path, status: FileStatus, why: str) -> str:
    url = spec.source_of(status.file)
    where = (
        f"download it from {url}"
        if url
        else f"it has no download of its own (see {', '.join(spec.homepage)})"
    )
    return (
        f"dataset {spec.name!r}: {status.file.path} is absent from "
        f"{spec.directory(root)} and {why}; {where}, or set KIWERK_DATA to a "
        f"folder that holds {spec.name}/ (now {root})"
    )


@contextmanager
def _client_and_bar(
    progress: Progress | None,
) -> Iterator[tuple[httpx.Client, Progress]]:
    with httpx.Client(follow_redirects=True, timeout=TIMEOUT) as client:
        if progress is not None:
            yield client, progress
            return
        with transfer_progress() as bar:
            yield client, bar


def _fetch(
    spec: DatasetSpec,
    root: Path,
    missing: tuple[FileStatus, ...],
    progress: Progress | None,
) -> None:
    for status in missing:
        if spec.source_of(status.file) is None:
            raise DatasetUnavailable(
                _unavailable(spec, root, status, "cannot be downloaded"),
                source=str(status.path),
            )
    folder = spec.directory(root)
    try:
        _download_missing(spec, folder, missing, progress)
    except OSError as exc:
        raise DatasetUnavailable(
            f"cannot write dataset {spec.name!r} into {folder} ({exc}); set "
            f"KIWERK_DATA to a writable folder (now {root})"
        ) from exc


def _download_missing(
    spec: DatasetSpec,
    folder: Path,
    missing: tuple[FileStatus, ...],
    progress: Progress | None,
) -> None:
    with _client_and_bar(progress) as (client, bar):
        from_archive = [s.file for s in missing if s.file.url is None]
        if from_archive and spec.archive is not None:
            download_archive(
                spec.archive, folder, from_archive, client=client, progress=bar
            )
        for status in missing:
            if status.file.url is not None:
                download_file(
                    status.file.url,
                    status.path,
                    status.file,
                    client=client,
                    progress=bar,
                )


def locate(
    dataset: str | DatasetSpec,
    root: Path,
    *,
    download: bool = False,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """The verified folder of a dataset, downloading absent files if allowed.

    Parameters
    ----------
    dataset
        A registered name (``"cwru"``) or a spec.
    root
        The data root (the CLI passes ``Settings().data``, i.e. ``KIWERK_DATA``).
    download
        Fetch absent files from their canonical URL (``KIWERK_DOWNLOAD``).
    cache_dir
        Where the checksum cache lives (repeated calls hash nothing again).
    progress
        A Rich progress bar; by default downloads draw their own on stderr.

    Raises
    ------
    ChecksumError
        A file on disk (or a downloaded one) differs from its sha256.
    DatasetUnavailable
        Files are absent and downloads are off, offline or failing; the
        message names the URL and the ``KIWERK_DATA`` setting.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> folder = locate("ai4i2020", Settings().data)  # doctest: +SKIP
    >>> sorted(p.name for p in folder.iterdir())  # doctest: +SKIP
    ['SOURCE.md', 'ai4i2020.csv']
    """
    spec = _resolve(dataset)
    report = verify_dataset(spec, root, cache_dir=cache_dir, progress=progress)
    report.raise_for_mismatch()
    if report.missing:
        if not download:
            raise DatasetUnavailable(
                _unavailable(spec, root, report.missing[0], "downloads are off")
            )
        _fetch(spec, root, report.missing, progress)
        verify_dataset(spec, root, cache_dir=cache_dir).raise_for_mismatch()
    return report.directory
