"""Verification, the checksum cache, downloads, and errors for absent data.

Downloads run against a local HTTP server (``http.server`` on 127.0.0.1 in a
thread) that stands in for the network; the download code runs unchanged.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import threading
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kiwerk.datasets import (
    DatasetSpec,
    FileSpec,
    FileState,
    locate,
    sha256_file,
    verify_dataset,
)
from kiwerk.datasets._checksum import CACHE_FILE
from kiwerk.errors import ChecksumError, DatasetUnavailable


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A fresh folder and the base URL a local HTTP server serves it under."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _file_spec(path: str, content: bytes, url: str | None = None) -> FileSpec:
    return FileSpec(
        path=path,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        url=url,
    )


@pytest.fixture
def file_spec() -> Callable[..., FileSpec]:
    """Build a FileSpec whose size and sha256 are those of given bytes."""
    return _file_spec


@pytest.fixture
def make_spec() -> Callable[..., DatasetSpec]:
    """Build a one-off dataset spec named ``demo`` (or ``name``)."""

    def build(
        files: list[FileSpec], *, archive: str | None = None, name: str = "demo"
    ) -> DatasetSpec:
        return DatasetSpec(
            name=name,
            title="Demo",
            description="A tiny test dataset.",
            license="CC0",
            license_id="CC0",
            research_only=False,
            homepage=("https://example.org/demo",),
            files=tuple(files),
            archive=archive,
        )

    return build


GOOD = b"unit,value\n1,2.5\n"


@pytest.fixture
def demo(
    tmp_path: Path,
    file_spec: Callable[..., FileSpec],
    make_spec: Callable[..., DatasetSpec],
) -> DatasetSpec:
    """A one-file dataset ``demo`` whose file is written under ``tmp_path/root``."""
    spec = make_spec([file_spec("sub/a.csv", GOOD, "https://example.org/a.csv")])
    target = tmp_path / "root" / "demo" / "sub" / "a.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(GOOD)
    return spec


def test_locate_returns_folder_when_files_match(
    tmp_path: Path, demo: DatasetSpec
) -> None:
    """A complete, matching dataset gives back its folder."""
    assert locate(demo, tmp_path / "root") == tmp_path / "root" / "demo"


def test_mismatch_names_file_expected_and_actual(
    tmp_path: Path, demo: DatasetSpec
) -> None:
    """A changed file raises ChecksumError naming the file and both hashes."""
    path = tmp_path / "root" / "demo" / "sub" / "a.csv"
    path.write_bytes(b"unit,value\n1,9.9\n")
    with pytest.raises(ChecksumError) as info:
        locate(demo, tmp_path / "root")
    message = str(info.value)
    assert str(path) in message
    assert demo.files[0].sha256 in message
    assert sha256_file(path) in message


def test_absent_and_offline_names_url_and_setting(
    tmp_path: Path, demo: DatasetSpec
) -> None:
    """With downloads off, an absent file names its URL and KIWERK_DATA."""
    (tmp_path / "root" / "demo" / "sub" / "a.csv").unlink()
    with pytest.raises(DatasetUnavailable) as info:
        locate(demo, tmp_path / "root", download=False)
    message = str(info.value)
    assert "https://example.org/a.csv" in message
    assert "KIWERK_DATA" in message
    assert "sub/a.csv" in message


def test_absent_without_download_names_homepage(
    tmp_path: Path,
    file_spec: Callable[..., FileSpec],
    make_spec: Callable[..., DatasetSpec],
) -> None:
    """A file with no download of its own points at the homepage, even online."""
    spec = make_spec([file_spec("index.csv", GOOD)])
    with pytest.raises(DatasetUnavailable, match=r"example\.org/demo.*KIWERK_DATA"):
        locate(spec, tmp_path, download=True)


def test_verify_reports_each_state(
    tmp_path: Path,
    file_spec: Callable[..., FileSpec],
    make_spec: Callable[..., DatasetSpec],
) -> None:
    """verify_dataset tells ok, missing and mismatch apart without raising."""
    spec = make_spec(
        [
            file_spec("ok.txt", b"a"),
            file_spec("gone.txt", b"b"),
            file_spec("bad.txt", b"c"),
        ]
    )
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "ok.txt").write_bytes(b"a")
    (folder / "bad.txt").write_bytes(b"X")
    report = verify_dataset(spec, tmp_path)
    states = {s.file.path: s.state for s in report.files}
    assert states == {
        "ok.txt": FileState.OK,
        "gone.txt": FileState.MISSING,
        "bad.txt": FileState.MISMATCH,
    }
    assert not report.ok


def test_cache_trusts_size_and_mtime_until_they_change(
    tmp_path: Path, demo: DatasetSpec
) -> None:
    """A cached hash is reused while size+mtime hold, and recomputed after."""
    root, cache_dir = tmp_path / "root", tmp_path / "cache"
    path = root / "demo" / "sub" / "a.csv"
    assert verify_dataset(demo, root, cache_dir=cache_dir).ok
    entries = json.loads((cache_dir / CACHE_FILE).read_text())
    assert entries[str(path.resolve())]["sha256"] == demo.files[0].sha256

    stat = path.stat()
    path.write_bytes(GOOD.replace(b"2.5", b"9.9"))  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert verify_dataset(demo, root, cache_dir=cache_dir).ok  # cache was used

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    report = verify_dataset(demo, root, cache_dir=cache_dir)
    assert report.files[0].state is FileState.MISMATCH


def test_damaged_cache_is_ignored(tmp_path: Path, demo: DatasetSpec) -> None:
    """A cache file that is not JSON only costs a re-hash."""
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / CACHE_FILE).write_text("{not json")
    assert verify_dataset(demo, tmp_path / "root", cache_dir=cache_dir).ok
    assert json.loads((cache_dir / CACHE_FILE).read_text())


A = b"time;speed\n0;61.5\n"
B = b"id,x,y\n1,0,0\n"


def _no_part_files(folder: Path) -> bool:
    return not any(p.name.endswith(".part") for p in folder.rglob("*"))


def test_download_single_files(
    served: tuple[Path, str],
    tmp_path: Path,
    file_spec: Callable[..., FileSpec],
    make_spec: Callable[..., DatasetSpec],
) -> None:
    """Absent files are fetched from their URLs, verified, and renamed in place."""
    (served[0] / "a.csv").write_bytes(A)
    (served[0] / "b.csv").write_bytes(B)
    spec = make_spec(
        [
            file_spec("a.csv", A, f"{served[1]}/a.csv"),
            file_spec("nested/b.csv", B, f"{served[1]}/b.csv"),
        ]
    )
    root = tmp_path / "root"
    folder = locate(spec, root, download=True, cache_dir=tmp_path / "cache")
    assert (folder / "a.csv").read_bytes() == A
    assert (folder / "nested" / "b.csv").read_bytes() == B
    assert _no_part_files(root)


def test_download_extracts_members_of_nested_zip(
    served: tuple[Path, str],
    tmp_path: Path,
    file_spec: Callable[..., FileSpec],
    make_spec: Callable[..., DatasetSpec],
) -> None:
    """Files are found by name in the archive, also inside a zip within the zip."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("Data/b.csv", B)
    with zipfile.ZipFile(served[0] / "set.zip", "w") as zf:
        zf.writestr("top/a.csv", A)
        zf.writestr("Inner.zip", inner.getvalue())
        zf.writestr("readme.pdf", b"%PDF")
    spec = make_spec(
        [file_spec("a.csv", A), file_spec("b.csv", B)], archive=f"{served[1]}/set.zip"
    )
    folder = locate(spec, tmp_path / "root", download=True)
    assert sorted(p.name for p in folder.iterdir()) == ["a.csv", "b.csv"]
    assert (folder / "b.csv").read_bytes() == B


def test_wrong_bytes_are_refused_and_nothing_written(
    served: tuple[Path, str],
    tmp_path: Path,
    file_spec: Callable[..., FileSpec],
    make_spec: Callable[..., DatasetSpec],
) -> None:
    """A served file with other bytes raises ChecksumError and leaves no file."""
    (served[0] / "a.csv").write_bytes(A.replace(b"61.5", b"99.9"))
    spec = make_spec([file_spec("a.csv", A, f"{served[1]}/a.csv")])
    root = tmp_path / "root"
    with pytest.raises(ChecksumError, match="expected sha256"):
        locate(spec, root, download=True)
    assert not (root / "demo" / "a.csv").exists()
    assert _no_part_files(root)


def test_http_error_names_the_url(
    served: tuple[Path, str],
    tmp_path: Path,
    file_spec: Callable[..., FileSpec],
    make_spec: Callable[..., DatasetSpec],
) -> None:
    """A 404 becomes DatasetUnavailable naming the URL and the status."""
    url = f"{served[1]}/missing.csv"
    spec = make_spec([file_spec("a.csv", A, url)])
    with pytest.raises(DatasetUnavailable, match="HTTP 404") as info:
        locate(spec, tmp_path / "root", download=True)
    assert url in str(info.value)


def test_unreachable_host_names_url_and_setting(
    tmp_path: Path,
    file_spec: Callable[..., FileSpec],
    make_spec: Callable[..., DatasetSpec],
) -> None:
    """Being offline (connection refused) names the URL and KIWERK_DATA."""
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/a.csv"
    spec = make_spec([file_spec("a.csv", A, url)])
    with pytest.raises(DatasetUnavailable) as info:
        locate(spec, tmp_path / "root", download=True)
    assert url in str(info.value)
    assert "KIWERK_DATA" in str(info.value)


def test_archive_without_member_is_unavailable(
    served: tuple[Path, str],
    tmp_path: Path,
    file_spec: Callable[..., FileSpec],
    make_spec: Callable[..., DatasetSpec],
) -> None:
    """An archive lacking a registered file says which member is missing."""
    with zipfile.ZipFile(served[0] / "set.zip", "w") as zf:
        zf.writestr("a.csv", A)
    spec = make_spec(
        [file_spec("a.csv", A), file_spec("b.csv", B)], archive=f"{served[1]}/set.zip"
    )
    with pytest.raises(DatasetUnavailable, match=r"no member named 'b\.csv'"):
        locate(spec, tmp_path / "root", download=True)


def test_unwritable_root_is_unavailable(
    served: tuple[Path, str],
    tmp_path: Path,
    file_spec: Callable[..., FileSpec],
    make_spec: Callable[..., DatasetSpec],
) -> None:
    """A data root that cannot hold the dataset says so and names KIWERK_DATA."""
    (served[0] / "a.csv").write_bytes(A)
    spec = make_spec([file_spec("a.csv", A, f"{served[1]}/a.csv")])
    root = tmp_path / "a-file"
    root.write_text("not a folder")
    with pytest.raises(DatasetUnavailable, match=r"cannot write.*KIWERK_DATA"):
        locate(spec, root, download=True)
