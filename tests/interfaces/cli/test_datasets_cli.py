"""``kiwerk datasets list|verify|fetch`` through the real entry point ``main``."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kiwerk.datasets import get_dataset
from kiwerk.errors import DataError, NotFound
from kiwerk.interfaces.cli.app import main
from kiwerk.settings import get_settings

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def kiwerk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """Run ``kiwerk datasets ARGS`` with a data root; give (exit code, out, err)."""

    def run(data: Path, *args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("KIWERK_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("KIWERK_DATA", str(data))
        monkeypatch.setenv("KIWERK_DOWNLOAD", "false")
        monkeypatch.setenv("KIWERK_CONFIG", str(tmp_path / "none.toml"))
        monkeypatch.setattr(sys, "argv", ["kiwerk", "datasets", *args])
        get_settings.cache_clear()
        try:
            with pytest.raises(SystemExit) as exit_info:
                main()
        finally:
            get_settings.cache_clear()
        captured = capsys.readouterr()
        code = exit_info.value.code
        return (code if isinstance(code, int) else 1), captured.out, captured.err

    return run


def _flat(text: str) -> str:
    """Text without whitespace, so wrapped URLs and hashes match whole."""
    return "".join(text.split())


def test_list_shows_licences_and_status(
    kiwerk: Run, tmp_path: Path, data_dir: Path
) -> None:
    """``list`` shows each dataset, flags research-only ones, and verifies."""
    code, out, err = kiwerk(data_dir, "list")
    assert code == 0, err
    rows = {line.split()[1]: line for line in out.splitlines() if "│" in line}
    assert "research only" in rows["skab"]
    assert "research only" not in rows["ai4i2020"]
    assert "verified" in rows["sumo/resco"]
    assert (tmp_path / "home" / "cache" / "datasets-verified.json").is_file()


def test_list_on_empty_root_says_absent(kiwerk: Run, tmp_path: Path) -> None:
    """With an empty data root every dataset is listed as absent."""
    code, out, err = kiwerk(tmp_path / "empty", "list")
    assert code == 0, err
    assert out.count("absent") == 12


def test_verify_mismatch_exits_non_zero_naming_hashes(
    kiwerk: Run, tmp_path: Path
) -> None:
    """A changed file makes ``verify`` exit with DataError's code, naming hashes."""
    path = tmp_path / "data" / "ai4i2020" / "ai4i2020.csv"
    path.parent.mkdir(parents=True)
    path.write_text("UDI,Type\n1,L\n")
    code, _, err = kiwerk(tmp_path / "data", "verify", "ai4i2020")
    assert code == DataError.exit_code
    assert get_dataset("ai4i2020").files[0].sha256 in _flat(err)
    assert "ai4i2020/ai4i2020.csv" in _flat(err)


def test_verify_real_group_passes(kiwerk: Run, data_dir: Path) -> None:
    """Verifying the real traffic datasets succeeds."""
    code, out, err = kiwerk(data_dir, "verify", "traffic")
    assert code == 0, err
    assert out.count("verified") == 2


def test_fetch_offline_names_url_and_setting(kiwerk: Run, tmp_path: Path) -> None:
    """``fetch`` with downloads off names the canonical URL and KIWERK_DATA."""
    code, _, err = kiwerk(tmp_path / "data", "fetch", "medmnist")
    assert code == DataError.exit_code
    url = "https://zenodo.org/records/10519652/files/pneumoniamnist.npz"
    assert url in _flat(err)
    assert "KIWERK_DATA" in _flat(err)
    assert not (tmp_path / "data" / "medmnist" / "pneumoniamnist.npz").exists()


def test_unknown_dataset_exits_not_found(kiwerk: Run, tmp_path: Path) -> None:
    """An unknown name exits with NotFound's code and lists known names."""
    code, _, err = kiwerk(tmp_path, "verify", "nope")
    assert code == NotFound.exit_code
    assert "cmapss" in err


def test_verify_full_ignores_the_cache(
    kiwerk: Run, tmp_path: Path, data_dir: Path
) -> None:
    """``--full`` re-hashes a file the cache still trusts (same size and mtime)."""
    name = "traffic/los_loop"
    spec = get_dataset(name)
    folder = spec.directory(tmp_path / "data")
    folder.mkdir(parents=True)
    for file in spec.files:  # plain copies: writable, unlike the shared data
        shutil.copyfile(spec.directory(data_dir) / file.path, folder / file.path)
    assert kiwerk(tmp_path / "data", "verify", name)[0] == 0  # fills the cache
    path = folder / "los_adj.csv"
    stat = path.stat()
    content = path.read_bytes()
    path.write_bytes(content.replace(b"1,", b"2,", 1))  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert kiwerk(tmp_path / "data", "verify", name)[0] == 0  # trusts the cache
    code, _, err = kiwerk(tmp_path / "data", "verify", "--full", name)
    assert code == DataError.exit_code
    assert "los_adj.csv" in _flat(err)
