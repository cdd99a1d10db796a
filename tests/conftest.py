"""Shared fixtures.

- ``settings``: kiwerk settings whose home is a fresh temporary folder and whose
  data folder is the real shared one (read-only).
- ``cli_env``: environment pointing the CLI at a fresh home.
- ``data_dir``: the folder of the real benchmark datasets; tests that need it
  are skipped with a clear reason when it is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiwerk.settings import Settings


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real benchmark datasets (``KIWERK_DATA`` or ``../shared/data``)."""
    path = Settings().data
    if not path.is_dir():
        pytest.skip(f"benchmark data not found at {path}; set KIWERK_DATA")
    return path


@pytest.fixture
def settings(tmp_path: Path, data_dir: Path) -> Settings:
    """Settings with a fresh home under ``tmp_path`` and the real data folder."""
    return Settings(home=tmp_path / "home", data=data_dir, download=False)


@pytest.fixture
def cli_env(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point the CLI's settings at a fresh home (returned) and the real data."""
    from kiwerk.settings import get_settings

    home = tmp_path / "cli-home"
    monkeypatch.setenv("KIWERK_HOME", str(home))
    monkeypatch.setenv("KIWERK_DATA", str(data_dir))
    monkeypatch.setenv("KIWERK_DOWNLOAD", "false")
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
