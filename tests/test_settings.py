"""Settings: environment, TOML file, and refusal of unsafe values."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiwerk.errors import ConfigError
from kiwerk.settings import Settings, load_settings


def test_environment_overrides_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``KIWERK_HOME`` moves the pool and the registry."""
    monkeypatch.setenv("KIWERK_HOME", str(tmp_path))
    s = Settings()
    assert s.pool_dir == tmp_path / "pool"
    assert s.tracking_uri == f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_toml_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A TOML file named by ``KIWERK_CONFIG`` sets values the environment does not."""
    config = tmp_path / "kiwerk.toml"
    config.write_text('user = "ana"\nseed = 7\n', encoding="utf-8")
    monkeypatch.setenv("KIWERK_CONFIG", str(config))
    monkeypatch.setenv("KIWERK_SEED", "9")
    s = Settings()
    assert (s.user, s.seed) == ("ana", 9)


def test_production_refuses_default_secret() -> None:
    """Production with the development secret key is refused with a clear error."""
    with pytest.raises(ConfigError, match="KIWERK_SECRET_KEY"):
        load_settings(env="production")
