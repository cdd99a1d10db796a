"""Streaming sha256 and a small cache that makes repeated verification cheap.

A file's hash is cached against its resolved path, size and modification time
(nanoseconds) in a JSON file; while those three are unchanged the file is not
read again. Editing a file changes its mtime, so the next check re-hashes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

CHUNK = 1 << 20
CACHE_FILE = "datasets-verified.json"


def sha256_stream(
    stream: IO[bytes], *, on_bytes: Callable[[int], None] | None = None
) -> str:
    """Hex sha256 of everything left in ``stream``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        if on_bytes is not None:
            on_bytes(len(chunk))
    return digest.hexdigest()


def sha256_file(path: Path, *, on_bytes: Callable[[int], None] | None = None) -> str:
    """Hex sha256 of a file, streamed so memory stays bounded.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp) / "x.txt"
    ...     _ = p.write_bytes(b"abc")
    ...     sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    with path.open("rb") as stream:
        return sha256_stream(stream, on_bytes=on_bytes)


class ChecksumCache:
    """Hashes already computed, keyed by path and valid while size+mtime hold.

    Parameters
    ----------
    cache_dir
        Folder of the JSON file; ``None`` keeps nothing and hashes every time.
    """

    def __init__(self, cache_dir: Path | None) -> None:
        self.path = cache_dir / CACHE_FILE if cache_dir is not None else None
        self._entries: dict[str, dict[str, int | str]] = {}
        self._dirty = False
        if self.path is not None and self.path.is_file():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = {}  # a damaged cache only costs a re-hash
            if isinstance(loaded, dict):
                self._entries = loaded

    def lookup(self, path: Path) -> str | None:
        """The cached sha256 of ``path`` if its size and mtime are unchanged."""
        entry = self._entries.get(str(path.resolve()))
        if entry is None:
            return None
        stat = path.stat()
        if entry.get("size") == stat.st_size and entry.get("mtime_ns") == (
            stat.st_mtime_ns
        ):
            digest = entry.get("sha256")
            return digest if isinstance(digest, str) else None
        return None

    def store(self, path: Path, sha256: str) -> None:
        """Remember ``sha256`` for ``path`` at its current size and mtime."""
        stat = path.stat()
        self._entries[str(path.resolve())] = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": sha256,
        }
        self._dirty = True

    def save(self) -> None:
        """Write the cache atomically (temp file, then rename); no-op if clean."""
        if self.path is None or not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self._entries, out, indent=0, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._dirty = False

    def sha256(
        self, path: Path, *, on_bytes: Callable[[int], None] | None = None
    ) -> str:
        """The file's sha256: cached when still valid, else computed and stored."""
        cached = self.lookup(path)
        if cached is not None:
            if on_bytes is not None:
                on_bytes(path.stat().st_size)
            return cached
        digest = sha256_file(path, on_bytes=on_bytes)
        self.store(path, digest)
        return digest
