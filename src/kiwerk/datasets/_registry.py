"""The registry: which datasets exist, their licences, sources and file checksums.

The data lives in ``registry.toml`` beside this module, one table per dataset
folder (``cmapss``, ``traffic/los_loop``, ...). It was generated once from each
folder's ``SOURCE.md`` and checked against the files.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from kiwerk.errors import NotFound

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset, as the registry declares it.

    Attributes
    ----------
    path
        POSIX path relative to the dataset folder, e.g. ``valve1/0.csv``.
    size
        Size in bytes.
    sha256
        Lower-case hex sha256 of the file's bytes.
    url
        Where this file alone is served, or ``None`` when it comes from the
        dataset's archive or cannot be downloaded at all.
    """

    path: str
    size: int
    sha256: str
    url: str | None = None

    def __post_init__(self) -> None:
        """Refuse absolute paths, ``..`` and malformed checksums."""
        parts = PurePosixPath(self.path).parts
        if not parts or self.path.startswith("/") or ".." in parts:
            raise ValueError(f"Expected a relative file path, got {self.path!r}.")
        if len(self.sha256) != 64 or not set(self.sha256) <= _HEX:
            raise ValueError(f"Expected a hex sha256 for {self.path}.")
        if self.size < 0:
            raise ValueError(f"Expected a size >= 0 for {self.path}.")


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its folder name, terms, sources and files.

    Attributes
    ----------
    name
        Folder below the data root, e.g. ``cmapss`` or ``traffic/los_loop``.
    title
        One-line name of the dataset.
    description
        What it holds and what it is for.
    license
        The licence or terms, in words.
    license_id
        A short form for tables (``CC-BY-4.0``, ``GPL-3.0``, ``unstated``).
    research_only
        True where the terms forbid commercial use or shipping (copyleft or
        non-commercial data): load it for research, never ship it.
    homepage
        The canonical pages of the publisher.
    files
        Every file, with size and sha256.
    archive
        A zip whose members are this dataset's files (the canonical download),
        or ``None`` when files are served one by one.
    """

    name: str
    title: str
    description: str
    license: str
    license_id: str
    research_only: bool
    homepage: tuple[str, ...]
    files: tuple[FileSpec, ...]
    archive: str | None = None

    @property
    def size(self) -> int:
        """Total bytes of all files."""
        return sum(f.size for f in self.files)

    @property
    def group(self) -> str:
        """The first folder of the name (``traffic`` for ``traffic/los_loop``)."""
        return self.name.split("/", 1)[0]

    def directory(self, root: Path) -> Path:
        """The dataset's folder below ``root``."""
        return root.joinpath(*self.name.split("/"))

    def source_of(self, file: FileSpec) -> str | None:
        """The URL a file is downloaded from: its own, else the archive's."""
        return file.url or self.archive


def _spec(name: str, table: dict[str, Any]) -> DatasetSpec:
    files = tuple(
        FileSpec(
            path=str(f["path"]),
            size=int(f["size"]),
            sha256=str(f["sha256"]),
            url=f.get("url"),
        )
        for f in table["files"]
    )
    return DatasetSpec(
        name=name,
        title=str(table["title"]),
        description=str(table["description"]),
        license=str(table["license"]),
        license_id=str(table["license_id"]),
        research_only=bool(table["research_only"]),
        homepage=tuple(table["homepage"]),
        files=files,
        archive=table.get("archive"),
    )


@cache
def registry() -> Mapping[str, DatasetSpec]:
    """Every registered dataset by name, in registry order (read-only).

    Examples
    --------
    >>> specs = registry()
    >>> specs["skab"].research_only, len(specs["skab"].files)
    (True, 35)
    >>> specs["traffic/los_loop"].group
    'traffic'
    """
    text = resources.files("kiwerk.datasets").joinpath("registry.toml").read_text()
    tables = tomllib.loads(text)["datasets"]
    return MappingProxyType({n: _spec(n, t) for n, t in tables.items()})


def get_dataset(name: str) -> DatasetSpec:
    """The dataset registered as ``name``.

    Raises
    ------
    NotFound
        No dataset has that name.

    Examples
    --------
    >>> get_dataset("medmnist").license
    'CC BY 4.0'
    """
    specs = registry()
    try:
        return specs[name]
    except KeyError:
        raise NotFound(f"unknown dataset {name!r}; known: {', '.join(specs)}") from None


def select_datasets(names: Iterable[str] = ()) -> list[DatasetSpec]:
    """Datasets by name or group (``traffic`` selects both traffic datasets).

    No names selects every dataset.

    Raises
    ------
    NotFound
        A name is neither a dataset nor a group.

    Examples
    --------
    >>> [s.name for s in select_datasets(["vrp", "cwru"])]
    ['vrp/cvrplib_x', 'vrp/solomon', 'cwru']
    """
    specs = registry()
    wanted = list(names)
    if not wanted:
        return list(specs.values())
    chosen: list[DatasetSpec] = []
    for name in wanted:
        matches = [s for s in specs.values() if name in (s.name, s.group)]
        if not matches:
            chosen.append(get_dataset(name))  # raises NotFound with the list
        chosen.extend(s for s in matches if s not in chosen)
    return chosen
