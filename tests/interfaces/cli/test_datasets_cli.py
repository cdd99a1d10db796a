"""``kiwerk datasets list|verify|fetch`` run as a real process (exit codes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kiwerk.datasets import get_dataset
from kiwerk.errors import DataError, NotFound

ENTRY = "from kiwerk.interfaces.cli.app import main; main()"


def _kiwerk(tmp_path: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KIWERK_HOME": str(tmp_path / "home"),
        "KIWERK_DATA": str(data),
        "KIWERK_DOWNLOAD": "false",
        "KIWERK_CONFIG": str(tmp_path / "none.toml"),
        "COLUMNS": "400",  # keep long URLs on one line
    }
    return subprocess.run(
        [sys.executable, "-c", ENTRY, "datasets", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_list_shows_licences_and_status(tmp_path: Path, data_dir: Path) -> None:
    """``list`` shows each dataset, flags research-only ones, and verifies."""
    result = _kiwerk(tmp_path, data_dir, "list")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if "│" in line}
    assert "research only" in rows["skab"]
    assert "research only" not in rows["ai4i2020"]
    assert "verified" in rows["sumo/resco"]
    assert (tmp_path / "home" / "cache" / "datasets-verified.json").is_file()


def test_list_on_empty_root_says_absent(tmp_path: Path) -> None:
    """With an empty data root every dataset is listed as absent."""
    result = _kiwerk(tmp_path, tmp_path / "empty", "list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("absent") == 12


def test_verify_mismatch_exits_non_zero_naming_hashes(tmp_path: Path) -> None:
    """A changed file makes ``verify`` exit with DataError's code, naming hashes."""
    path = tmp_path / "data" / "ai4i2020" / "ai4i2020.csv"
    path.parent.mkdir(parents=True)
    path.write_text("UDI,Type\n1,L\n")
    result = _kiwerk(tmp_path, tmp_path / "data", "verify", "ai4i2020")
    assert result.returncode == DataError.exit_code
    assert get_dataset("ai4i2020").files[0].sha256 in result.stderr
    assert "ai4i2020.csv" in result.stderr


def test_verify_real_group_passes(tmp_path: Path, data_dir: Path) -> None:
    """Verifying the real traffic datasets succeeds."""
    result = _kiwerk(tmp_path, data_dir, "verify", "traffic")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("verified") == 2


def test_fetch_offline_names_url_and_setting(tmp_path: Path) -> None:
    """``fetch`` with downloads off names the canonical URL and KIWERK_DATA."""
    result = _kiwerk(tmp_path, tmp_path / "data", "fetch", "medmnist")
    assert result.returncode == DataError.exit_code
    assert (
        "https://zenodo.org/records/10519652/files/pneumoniamnist.npz" in result.stderr
    )
    assert "KIWERK_DATA" in result.stderr
    assert not (tmp_path / "data" / "medmnist" / "pneumoniamnist.npz").exists()


def test_unknown_dataset_exits_not_found(tmp_path: Path) -> None:
    """An unknown name exits with NotFound's code and lists known names."""
    result = _kiwerk(tmp_path, tmp_path, "verify", "nope")
    assert result.returncode == NotFound.exit_code
    assert "cmapss" in result.stderr
