"""One check per part of a deployment; each says ok, warn or fail and why."""

from __future__ import annotations

import os
import shutil
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from kiwerk.core.scale import ray_reachable

Level = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """The outcome of checking one part."""

    name: str
    level: Level
    detail: str

    @property
    def failed(self) -> bool:
        """Whether the deployment cannot work as configured."""
        return self.level == "fail"


@dataclass(frozen=True)
class DoctorParams:
    """What to check, taken from the settings by the caller.

    Parameters
    ----------
    production
        Production refuses embedded stores and default secrets.
    metadata_url, tracking_uri
        SQLAlchemy URL of the metadata store; MLflow tracking URI.
    broker_url
        ``mqtt://host:port`` of the stream monitor's broker, or None.
    ray_address
        The Ray cluster, or None (in-process).
    secret_is_default
        Whether the token-signing key is still the development default.
    secrets_path, home, data
        The secrets file, the home folder and the benchmark data folder.
    min_free_gib
        Free disk space under the home below which the check fails.
    timeout
        Seconds to wait for each network part.
    """

    production: bool
    metadata_url: str
    tracking_uri: str
    broker_url: str | None
    ray_address: str | None
    secret_is_default: bool
    secrets_path: Path
    home: Path
    data: Path
    min_free_gib: float = 2.0
    timeout: float = 3.0


def check_metadata(url: str, production: bool, timeout: float = 3.0) -> Check:
    """The metadata database answers and is migrated to the newest revision."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from kiwerk.core.store import current_revision, head_revision, normalise_url

    where = url.split("@")[-1]
    if url.startswith("sqlite:///") and not Path(url[10:]).exists():
        return Check(
            "metadata database",
            "fail" if production else "warn",
            f"{where} not created yet (the API creates and migrates it on start)",
        )
    args = {} if url.startswith("sqlite") else {"connect_timeout": int(timeout)}
    engine = create_engine(normalise_url(url), connect_args=args)
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return Check("metadata database", "fail", f"{where} unreachable: {reason}")
    finally:
        engine.dispose()
    head = head_revision()
    if revision != head:
        return Check(
            "metadata database",
            "fail",
            f"{where} is at migration {revision or 'none'}, the code needs {head}; "
            "start the API once (it migrates) or run the migrations",
        )
    if production and url.startswith("sqlite"):
        return Check(
            "metadata database",
            "warn",
            f"embedded SQLite ({where}) in production; set "
            "KIWERK_METADATA_DATABASE_URL to PostgreSQL for several API workers",
        )
    return Check("metadata database", "ok", f"{where} at migration {head}")


def check_tracking(uri: str, production: bool, timeout: float = 3.0) -> Check:
    """The MLflow tracking server answers ``/health`` (or the local store is usable)."""
    if uri.startswith(("http://", "https://")):
        import httpx

        try:
            reply = httpx.get(f"{uri.rstrip('/')}/health", timeout=timeout)
        except httpx.HTTPError as exc:
            return Check("MLflow tracking", "fail", f"{uri} unreachable: {exc}")
        if reply.status_code != 200:
            return Check(
                "MLflow tracking", "fail", f"{uri}/health answered {reply.status_code}"
            )
        return Check("MLflow tracking", "ok", f"{uri} healthy")
    if uri.startswith("sqlite:///"):
        folder = Path(uri.removeprefix("sqlite:///")).parent
        if not _writable(folder):
            return Check("MLflow tracking", "fail", f"cannot write {folder}")
        if production:
            return Check(
                "MLflow tracking",
                "warn",
                "local SQLite registry in production; set "
                "KIWERK_MLFLOW_TRACKING_URI to the tracking server",
            )
        return Check("MLflow tracking", "ok", f"local store in {folder}")
    return Check("MLflow tracking", "warn", f"unchecked tracking URI scheme: {uri}")


def _writable(folder: Path) -> bool:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return os.access(probe, os.W_OK)


# MQTT 3.1.1 CONNECT (clean session, keep-alive 60 s, client id
# "kiwerk-doctor") and DISCONNECT packets
_CONNECT = b"\x10\x19\x00\x04MQTT\x04\x02\x00\x3c\x00\x0dkiwerk-doctor"
_DISCONNECT = b"\xe0\x00"


def check_broker(url: str | None, production: bool, timeout: float = 3.0) -> Check:
    """The MQTT broker accepts a connection (CONNECT answered by CONNACK 0)."""
    if url is None:
        level: Level = "warn" if production else "ok"
        return Check("MQTT broker", level, "not configured (KIWERK_BROKER_URL)")
    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    host, port = parts.hostname or "127.0.0.1", parts.port or 1883
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(_CONNECT)
            reply = sock.recv(4)
            sock.sendall(_DISCONNECT)
    except OSError as exc:
        return Check("MQTT broker", "fail", f"{host}:{port} unreachable: {exc}")
    if len(reply) < 4 or reply[0] != 0x20:
        return Check("MQTT broker", "fail", f"{host}:{port} does not speak MQTT")
    if reply[3] != 0:
        return Check(
            "MQTT broker",
            "fail",
            f"{host}:{port} refused the connection (CONNACK code {reply[3]}); "
            "check the broker's credentials and ACL",
        )
    return Check("MQTT broker", "ok", f"{host}:{port} accepts MQTT connections")


def check_ray(address: str | None, timeout: float = 3.0) -> Check:
    """The Ray head answers at the configured address (or Ray is not used)."""
    if address is None:
        return Check(
            "Ray cluster", "ok", "not configured: tune and score run in-process"
        )
    if address in ("auto", "local"):
        return Check("Ray cluster", "ok", f"{address}: a local Ray starts per command")
    problem = ray_reachable(address, timeout)
    if problem is not None:
        return Check("Ray cluster", "fail", problem)
    return Check("Ray cluster", "ok", f"head at {address} answers")


def check_secrets(secret_is_default: bool, path: Path, production: bool) -> Check:
    """No development secret in production; the secrets file is private."""
    if secret_is_default:
        level: Level = "fail" if production else "warn"
        return Check("secrets", level, "KIWERK_SECRET_KEY is the development default")
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            return Check(
                "secrets", "fail", f"{path} is readable by others (mode {mode:o})"
            )
    return Check("secrets", "ok", "signing key set; secrets file private")


def check_folders(home: Path, data: Path) -> Check:
    """The home folder is writable and the data folder readable."""
    if not _writable(home):
        return Check("folders", "fail", f"cannot write the home folder {home}")
    if not data.is_dir():
        return Check(
            "folders",
            "warn",
            f"data folder {data} missing; `kiwerk datasets fetch` or KIWERK_DATA",
        )
    if not os.access(data, os.R_OK | os.X_OK):
        return Check("folders", "fail", f"cannot read the data folder {data}")
    return Check("folders", "ok", f"home {home}, data {data}")


def check_disk(home: Path, min_free_gib: float) -> Check:
    """Enough free disk space where the pool and registry grow."""
    probe = home
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free / 2**30
    if free < min_free_gib:
        return Check(
            "disk space",
            "fail",
            f"{free:.1f} GiB free under {probe}, below {min_free_gib:g} GiB",
        )
    return Check("disk space", "ok", f"{free:.1f} GiB free under {probe}")


def run_checks(params: DoctorParams) -> list[Check]:
    """Every check, in the order a deployment is brought up.

    Examples
    --------
    >>> import tempfile
    >>> home = Path(tempfile.mkdtemp())
    >>> checks = run_checks(DoctorParams(
    ...     production=False, metadata_url=f"sqlite:///{home / 'kw.db'}",
    ...     tracking_uri=f"sqlite:///{home / 'mlflow.db'}", broker_url=None,
    ...     ray_address=None, secret_is_default=True,
    ...     secrets_path=home / "secrets.toml", home=home, data=home))
    >>> [(c.name, c.level) for c in checks][:2]
    [('metadata database', 'warn'), ('MLflow tracking', 'ok')]
    """
    return [
        check_metadata(params.metadata_url, params.production, params.timeout),
        check_tracking(params.tracking_uri, params.production, params.timeout),
        check_broker(params.broker_url, params.production, params.timeout),
        check_ray(params.ray_address, params.timeout),
        check_secrets(params.secret_is_default, params.secrets_path, params.production),
        check_folders(params.home, params.data),
        check_disk(params.home, params.min_free_gib),
    ]
