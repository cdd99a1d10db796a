"""Where the pipeline reads its training data from: the pool, or frames."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Protocol

import pandas as pd

from kiwerk.core.models import DatasetRef
from kiwerk.errors import IntegrityError, NotFound


class DataSource(Protocol):
    """Reads a dataset version for training and says exactly which it was."""

    def read(
        self, dataset: str, version: int | None = None
    ) -> tuple[pd.DataFrame, DatasetRef]:
        """The rows of ``dataset`` (latest when ``version`` is None) and their ref."""


def frame_hash(frame: pd.DataFrame) -> str:
    """A sha256 of a frame's column names, dtypes and values.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2]})
    >>> frame_hash(a) == frame_hash(a.copy()), frame_hash(a) == frame_hash(a[::-1])
    (True, False)
    """
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


class FrameSource:
    """In-memory frames as a data source (benchmarks, notebooks).

    Each frame is version 0 and its content hash is :func:`frame_hash`.

    Examples
    --------
    >>> src = FrameSource({"d": pd.DataFrame({"x": [1]})})
    >>> src.read("d")[1].rows
    1
    """

    def __init__(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self._frames = dict(frames)

    def read(
        self, dataset: str, version: int | None = None
    ) -> tuple[pd.DataFrame, DatasetRef]:
        """The frame named ``dataset``; only version 0 (or None) exists."""
        if dataset not in self._frames:
            raise NotFound(f"dataset {dataset!r} is not among {sorted(self._frames)}")
        if version not in (None, 0):
            raise NotFound(f"dataset {dataset!r} has no version {version}")
        frame = self._frames[dataset]
        return frame, DatasetRef(dataset, 0, frame_hash(frame), len(frame))


def read_recorded(
    source: DataSource, refs: list[DatasetRef]
) -> dict[str, pd.DataFrame]:
    """Read exactly the dataset versions a model records, checking their hashes.

    Raises
    ------
    IntegrityError
        When a version's content hash differs from the recorded one.
    """
    frames = {}
    for ref in refs:
        frame, now = source.read(ref.name, ref.version)
        if ref.content_hash and now.content_hash != ref.content_hash:
            raise IntegrityError(
                f"dataset {ref.name!r} version {ref.version} has content hash "
                f"{now.content_hash[:12]}…, but the model recorded "
                f"{ref.content_hash[:12]}…"
            )
        frames[ref.name] = frame
    return frames
