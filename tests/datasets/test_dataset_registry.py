"""The registry: complete, well formed, and in step with the data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiwerk.datasets import FileSpec, get_dataset, registry, select_datasets
from kiwerk.errors import NotFound

EXPECTED = {
    "cmapss",
    "ai4i2020",
    "skab",
    "cwru",
    "medmnist",
    "dicom",
    "traffic/los_loop",
    "traffic/metr_la_graph",
    "vrp/cvrplib_x",
    "vrp/solomon",
    "osm/aachen",
    "sumo/resco",
}
# Files written for the shared folder itself have no download of their own.
NO_DOWNLOAD = {
    ("cwru", "index.csv"),
    ("vrp/cvrplib_x", "bks.csv"),
    ("vrp/solomon", "bks.csv"),
}


def test_registry_names_every_dataset() -> None:
    """The registry holds exactly the twelve dataset folders of the issue."""
    assert set(registry()) == EXPECTED


def test_every_file_has_checksum_size_and_source() -> None:
    """Each file has a size, a unique path and a download unless written locally."""
    for spec in registry().values():
        paths = [f.path for f in spec.files]
        assert len(paths) == len(set(paths)), spec.name
        assert spec.homepage
        assert all(u.startswith("http") for u in spec.homepage)
        for file in spec.files:
            assert file.size > 0, (spec.name, file.path)
            downloadable = spec.source_of(file) is not None
            assert downloadable != ((spec.name, file.path) in NO_DOWNLOAD), file.path


def test_research_only_datasets_are_flagged() -> None:
    """SKAB (GPL) and RESCO (TAPAS Cologne CC BY-NC-SA, InTAS GPL) are research-only."""
    flagged = {name for name, spec in registry().items() if spec.research_only}
    assert flagged == {"skab", "sumo/resco"}
    assert "NC-SA" in get_dataset("sumo/resco").license
    assert "GPL" in get_dataset("sumo/resco").license


def test_zip_archives_are_canonical_for_cmapss_and_ai4i() -> None:
    """C-MAPSS and AI4I come from their publishers' zips, not single files."""
    for name in ("cmapss", "ai4i2020"):
        spec = get_dataset(name)
        assert spec.archive is not None
        assert spec.archive.endswith(".zip")
        assert all(f.url is None for f in spec.files)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["traffic"], ["traffic/los_loop", "traffic/metr_la_graph"]),  # a group
        (["skab", "skab"], ["skab"]),  # duplicates collapse
        (["vrp/solomon"], ["vrp/solomon"]),  # one member of a group
    ],
)
def test_select_by_name_or_group(names: list[str], expected: list[str]) -> None:
    """Names select datasets; a group name selects its members."""
    assert [s.name for s in select_datasets(names)] == expected


def test_unknown_dataset_is_not_found() -> None:
    """An unknown name raises NotFound listing the known ones."""
    with pytest.raises(NotFound, match="known: cmapss"):
        select_datasets(["nope"])


@pytest.mark.parametrize("path", ["/etc/passwd", "../x.csv", "a/../../b"])
def test_file_paths_cannot_escape_the_dataset_folder(path: str) -> None:
    """Absolute paths and ``..`` are refused."""
    with pytest.raises(ValueError, match="relative file path"):
        FileSpec(path=path, size=1, sha256="0" * 64)


def test_registry_matches_data_folders(data_dir: Path) -> None:
    """Every folder with a SOURCE.md is registered, and each file both ways."""
    on_disk = {
        p.parent.relative_to(data_dir).as_posix() for p in data_dir.rglob("SOURCE.md")
    }
    assert on_disk == set(registry())
    for name, spec in registry().items():
        folder = spec.directory(data_dir)
        files = {
            p.relative_to(folder).as_posix()
            for p in folder.rglob("*")
            if p.is_file() and p.name != "SOURCE.md"
        }
        assert files == {f.path for f in spec.files}, name
