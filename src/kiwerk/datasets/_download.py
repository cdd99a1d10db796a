"""Downloads: stream a URL into a temporary file, check it, then rename it.

Nothing half-written ever takes a dataset file's name: bytes go to a temporary
file in the destination folder, the sha256 is checked, and only then does an
atomic :func:`os.replace` give the file its name. Zip archives are downloaded
whole to a temporary file; the wanted members (found by name, also inside
nested zips) are extracted the same way.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from kiwerk.datasets._checksum import sha256_stream
from kiwerk.datasets._registry import FileSpec
from kiwerk.errors import ChecksumError, DatasetUnavailable

TIMEOUT = httpx.Timeout(30.0, read=120.0)


def transfer_progress(console: Console | None = None) -> Progress:
    """A Rich progress bar for downloads (bytes, speed, time left)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=True,
    )


@contextmanager
def _temp_in(folder: Path, name: str) -> Iterator[tuple[IO[bytes], Path]]:
    """A temporary file beside the target; removed unless renamed away."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    path = Path(tmp)
    try:
        with os.fdopen(fd, "w+b") as stream:
            yield stream, path
    finally:
        path.unlink(missing_ok=True)


def _stream_url(
    url: str, out: IO[bytes], *, client: httpx.Client, progress: Progress, label: str
) -> None:
    """Copy the body of ``url`` into ``out``, advancing a progress task."""
    try:
        with client.stream("GET", url) as response:
            response.raise_for_status()
            length = response.headers.get("content-length")
            task = progress.add_task(label, total=int(length) if length else None)
            for chunk in response.iter_bytes():
                out.write(chunk)
                progress.advance(task, len(chunk))
            progress.remove_task(task)
    except httpx.HTTPStatusError as exc:
        raise DatasetUnavailable(
            f"download failed: {url} answered HTTP {exc.response.status_code}",
            source=url,
        ) from exc
    except httpx.TransportError as exc:
        raise DatasetUnavailable(
            f"cannot reach {url} ({exc}); if offline, set KIWERK_DATA to a "
            "folder that already holds the dataset",
            source=url,
        ) from exc


def _install(stream: IO[bytes], tmp: Path, dest: Path, file: FileSpec) -> None:
    """Check the temporary file's sha256, then rename it to ``dest``."""
    stream.flush()
    stream.seek(0)
    actual = sha256_stream(stream)
    if actual != file.sha256:
        raise ChecksumError(
            f"downloaded bytes do not match: expected sha256 {file.sha256}, "
            f"actual {actual}; nothing was written",
            source=str(dest),
        )
    os.replace(tmp, dest)


def download_file(
    url: str,
    dest: Path,
    file: FileSpec,
    *,
    client: httpx.Client,
    progress: Progress,
) -> None:
    """Download one file to ``dest``, verified against ``file.sha256``.

    Raises
    ------
    DatasetUnavailable
        The URL cannot be reached or answers with an error status.
    ChecksumError
        The bytes served differ from the registered ones.
    """
    with _temp_in(dest.parent, dest.name) as (stream, tmp):
        _stream_url(url, stream, client=client, progress=progress, label=file.path)
        _install(stream, tmp, dest, file)


def _members(archive: zipfile.ZipFile) -> Iterator[tuple[str, zipfile.ZipFile]]:
    """Every member name with the archive holding it, nested zips included."""
    for info in archive.infolist():
        if info.is_dir():
            continue
        yield info.filename, archive
        if info.filename.lower().endswith(".zip"):
            nested = zipfile.ZipFile(io.BytesIO(archive.read(info)))
            yield from _members(nested)


def _extract(archive: zipfile.ZipFile, file: FileSpec, dest: Path, url: str) -> None:
    """Extract the member that matches ``file`` by name and checksum."""
    wanted = PurePosixPath(file.path).name
    candidates = [
        (name, zf)
        for name, zf in _members(archive)
        if PurePosixPath(name).name == wanted
    ]
    if not candidates:
        raise DatasetUnavailable(
            f"{url} holds no member named {wanted!r}", source=url, field=file.path
        )
    for name, zf in candidates:
        with _temp_in(dest.parent, dest.name) as (stream, tmp), zf.open(name) as src:
            while chunk := src.read(1 << 20):
                stream.write(chunk)
            try:
                _install(stream, tmp, dest, file)
            except ChecksumError:
                if (name, zf) == candidates[-1]:
                    raise
            else:
                return


def download_archive(
    url: str,
    folder: Path,
    files: Sequence[FileSpec],
    *,
    client: httpx.Client,
    progress: Progress,
) -> None:
    """Download a zip once and extract ``files`` into ``folder``, each verified.

    Raises
    ------
    DatasetUnavailable
        The URL cannot be reached, is not a zip, or lacks a member.
    ChecksumError
        A member's bytes differ from the registered ones.
    """
    label = PurePosixPath(httpx.URL(url).path).name or url
    with _temp_in(folder, "archive") as (stream, _tmp):
        _stream_url(url, stream, client=client, progress=progress, label=label)
        stream.flush()
        stream.seek(0)
        try:
            archive = zipfile.ZipFile(stream)
        except zipfile.BadZipFile as exc:
            raise DatasetUnavailable(f"{url} is not a zip archive", source=url) from exc
        with archive:
            for file in files:
                dest = folder.joinpath(*PurePosixPath(file.path).parts)
                _extract(archive, file, dest, url)
