"""Shared fixtures.

- ``settings``: kiwerk settings whose home is a fresh temporary folder and whose
  data folder is the real shared one (read-only).
- ``cli_env``: environment pointing the CLI at a fresh home.
- ``store_url``: a fresh metadata store, SQLite and PostgreSQL (parametrised).
- ``mlflow_db_template`` / ``registry``: an MLflow store migrated once per
  session, copied into each test's fresh registry.
- ``ai4i`` / ``ai4i_slice``: the real AI4I 2020 table and a stratified slice.
- ``data_dir``: the folder of the real benchmark datasets; tests that need it
  are skipped with a clear reason when it is absent.
- ``local_ray``: one local Ray (2 CPUs, small object store) for the module's
  Ray tests, shut down after them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

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


def _postgres_url() -> str:
    """The test PostgreSQL server's URL; skips outside CI and fails in CI if absent."""
    url = os.environ.get("KIWERK_TEST_POSTGRES_URL")
    path = Path(__file__).resolve().parents[1] / ".kiwerk-ci" / "postgres.url"
    if not url and path.is_file():
        url = path.read_text(encoding="utf-8").strip()
    reason = "no PostgreSQL (run `bash scripts/services start`)"
    if url:
        try:
            engine = create_engine(url)
            with engine.connect() as con:
                con.execute(text("SELECT 1"))
            engine.dispose()
            return url
        except Exception as exc:
            reason = f"PostgreSQL at {url.split('@')[-1]} unreachable: {exc}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must test PostgreSQL: {reason}")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty metadata store: a SQLite file or a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meta.db'}"
        return
    base = _postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as con:
        con.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{base}?options=-csearch_path%3D{schema}"
    with admin.begin() as con:
        con.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="module")
def local_ray() -> Iterator[dict[str, float]]:
    """A local Ray with 2 CPUs for the module's tests; shut down after them."""
    from kiwerk.core.scale import RayParams, ray_session

    with ray_session(RayParams("local", object_store_mib=256, num_cpus=2)) as res:
        yield res
