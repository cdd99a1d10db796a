"""Settings from the environment (prefix ``KIWERK_``) and an optional TOML file.

Build them with :func:`get_settings` at the edge of the program (CLI callback,
FastAPI dependency) and pass core functions the values they need; core code
never reads the environment itself.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_cache_dir, user_data_dir
from pydantic import Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from kiwerk.errors import ConfigError

_REPO_ROOT = Path(__file__).resolve().parents[2]
_DEV_SECRET = "change-me"


def _default_data_dir() -> Path:
    """``../shared/data`` beside the checkout when it exists, else a cache dir."""
    for candidate in (
        Path.cwd() / ".." / "shared" / "data",
        _REPO_ROOT.parent / "shared" / "data",
    ):
        if candidate.is_dir():
            return candidate.resolve()
    return Path(user_cache_dir("kiwerk")) / "data"


def _config_file() -> Path:
    return Path(os.environ.get("KIWERK_CONFIG", "kiwerk.toml"))


class Settings(BaseSettings):
    """Every setting kiwerk reads; each can come from ``KIWERK_<NAME>``.

    Examples
    --------
    >>> s = Settings(home=Path("/tmp/kw"), env="development")
    >>> s.pool_dir
    PosixPath('/tmp/kw/pool')
    """

    model_config = SettingsConfigDict(env_prefix="KIWERK_", extra="ignore")

    env: Literal["development", "production"] = "development"
    home: Path = Field(
        default_factory=lambda: Path(user_data_dir("kiwerk")),
        description="Where the pool, the model registry and the secrets live.",
    )
    data: Path = Field(
        default_factory=_default_data_dir,
        description="Folder of the benchmark datasets (one sub-folder each).",
    )
    download: bool = Field(
        default=True, description="Fetch absent datasets from their canonical URL."
    )
    secrets_file: Path | None = Field(
        default=None,
        description="Pseudonymisation and token keys; default <home>/secrets.toml.",
    )
    mlflow_tracking_uri: str | None = Field(
        default=None,
        description="Remote MLflow server; default a SQLite store under <home>.",
    )
    metadata_database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata store; default SQLite in <home>.",
    )
    alert_webhook_url: str | None = Field(
        default=None, description="POST monitoring alerts (JSON) to this URL."
    )
    alert_mqtt_host: str | None = Field(
        default=None, description="Publish monitoring alerts to this MQTT broker."
    )
    alert_mqtt_port: int = 1883
    alert_mqtt_topic: str = "kiwerk/alerts"
    ray_address: str | None = Field(
        default=None,
        description="Ray cluster for tune/score (auto, local or host:port); "
        "default in-process.",
    )
    broker_url: str | None = Field(
        default=None,
        description="MQTT broker of the stream monitor (mqtt://host:port).",
    )
    user: str = Field(default="admin", description="The acting user for the CLI.")
    line_config: Path | None = Field(
        default=None,
        description="Line configuration (TOML) of the live line the API shows.",
    )
    line_org: str = Field(
        default="industry", description="Organisation whose members see the line."
    )
    secret_key: str = Field(default=_DEV_SECRET, description="Signs API tokens.")
    seed: int = 42

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment wins over the TOML file (``KIWERK_CONFIG``, ``kiwerk.toml``)."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml, file_secret_settings)

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if self.env == "production" and self.secret_key == _DEV_SECRET:
            raise ValueError(
                "KIWERK_SECRET_KEY is still the development default; "
                "set a long random value before running in production."
            )
        return self

    @property
    def pool_dir(self) -> Path:
        """Folder of the data pool (catalog, versions, audit log)."""
        return self.home / "pool"

    @property
    def secrets_path(self) -> Path:
        """The secrets file, kept outside the pool with 0600 rights."""
        return self.secrets_file or self.home / "secrets.toml"

    @property
    def metadata_url(self) -> str:
        """Metadata store URL: the configured one, or SQLite under the home."""
        if self.metadata_database_url:
            return self.metadata_database_url
        return f"sqlite:///{self.home / 'kiwerk.db'}"

    @property
    def tracking_uri(self) -> str:
        """MLflow tracking URI: the remote one, or SQLite under the home."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{self.home / 'mlflow.db'}"


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation errors into a :class:`ConfigError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc


@lru_cache
def get_settings() -> Settings:
    """The process's settings, built once on first use."""
    return load_settings()


__all__ = ["Settings", "get_settings", "load_settings"]
