"""Shared fixtures.

- ``settings``: kiwerk settings whose home is a fresh temporary folder and whose
  data folder is the real shared one (read-only).
- ``cli_env``: environment pointing the CLI at a fresh home.
- ``mlflow_db_template`` / ``registry``: an MLflow store migrated once per
  session, copied into each test's fresh registry.
- ``ai4i`` / ``ai4i_slice``: the real AI4I 2020 table and a stratified slice.
- ``data_dir``: the folder of the real benchmark datasets; tests that need it
  are skipped with a clear reason when it is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kiwerk.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

    from kiwerk.core.models import ModelRegistry


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


@pytest.fixture(scope="session")
def mlflow_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite store, migrated once per session (takes seconds)."""
    from kiwerk.core.models import ModelRegistry

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    ModelRegistry(f"sqlite:///{path}").names()
    return path


@pytest.fixture
def registry(tmp_path: Path, mlflow_db_template: Path) -> ModelRegistry:
    """A fresh model registry under ``tmp_path`` (a copy of the migrated store)."""
    import shutil

    from kiwerk.core.models import ModelRegistry

    home = tmp_path / "registry"
    home.mkdir()
    shutil.copyfile(mlflow_db_template, home / "mlflow.db")
    return ModelRegistry(f"sqlite:///{home / 'mlflow.db'}", home / "mlartifacts")


@pytest.fixture(scope="session")
def ai4i(data_dir: Path) -> pd.DataFrame:
    """The real AI4I 2020 table (10,000 rows); do not modify it."""
    from kiwerk.datasets import load_ai4i

    return load_ai4i(directory=data_dir / "ai4i2020")


@pytest.fixture(scope="session")
def ai4i_slice(ai4i: pd.DataFrame) -> pd.DataFrame:
    """A stratified 40 % slice of AI4I (4,000 rows, same failure share)."""
    from sklearn.model_selection import train_test_split

    part, _ = train_test_split(
        ai4i, train_size=0.4, stratify=ai4i["Machine failure"], random_state=0
    )
    ordered: pd.DataFrame = part.sort_index().reset_index(drop=True)
    return ordered
