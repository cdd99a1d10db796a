"""``kiwerk doctor`` against real parts: PostgreSQL, mosquitto, dead ports."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kiwerk.core.doctor import (
    check_broker,
    check_disk,
    check_metadata,
    check_ray,
    check_secrets,
    check_tracking,
)
from kiwerk.core.store import MetadataStore
from kiwerk.domains.industry.stream import LocalBroker, free_port
from kiwerk.interfaces.cli.app import main
from kiwerk.settings import get_settings


def test_metadata_at_head_is_ok_and_unmigrated_fails(store_url: str) -> None:
    """A migrated store (SQLite or PostgreSQL) passes; an empty one does not."""
    before = check_metadata(store_url, production=False)
    if store_url.startswith("sqlite"):  # the file does not exist yet
        assert (before.level, "not created yet" in before.detail) == ("warn", True)
    else:
        assert (before.level, "migration none" in before.detail) == ("fail", True)
    MetadataStore.open(store_url).close()
    after = check_metadata(store_url, production=False)
    assert after.level == "ok", after.detail


def test_metadata_on_a_dead_port_fails() -> None:
    """A PostgreSQL URL where nothing listens fails and says unreachable."""
    url = f"postgresql://kiwerk@127.0.0.1:{free_port()}/kiwerk"
    check = check_metadata(url, production=True, timeout=2)
    assert check.level == "fail"
    assert "unreachable" in check.detail


def test_broker_real_mosquitto_ok_dead_port_fails(tmp_path: Path) -> None:
    """A running mosquitto answers CONNACK 0; a dead port fails."""
    with LocalBroker(tmp_path / "broker") as broker:
        check = check_broker(f"mqtt://127.0.0.1:{broker.port}", production=True)
        assert check.level == "ok", check.detail
    dead = check_broker(f"mqtt://127.0.0.1:{free_port()}", production=True)
    assert (dead.level, "unreachable" in dead.detail) == ("fail", True)


def test_broker_unset_warns_only_in_production() -> None:
    """No broker configured is fine in development and a warning in production."""
    assert check_broker(None, production=False).level == "ok"
    assert check_broker(None, production=True).level == "warn"


def test_ray_and_tracking_on_dead_ports_fail() -> None:
    """A Ray head or MLflow server that does not answer fails."""
    port = free_port()
    assert check_ray(f"127.0.0.1:{port}").level == "fail"
    assert check_ray("nonsense").level == "fail"
    assert check_ray(None).level == "ok"
    tracking = check_tracking(f"http://127.0.0.1:{port}", production=True, timeout=2)
    assert (tracking.level, "unreachable" in tracking.detail) == ("fail", True)


def test_secrets_and_disk(tmp_path: Path) -> None:
    """Default secrets fail in production, open secrets files fail, full disks fail."""
    path = tmp_path / "secrets.toml"
    assert check_secrets(True, path, production=True).level == "fail"
    assert check_secrets(True, path, production=False).level == "warn"
    path.write_text("k = 1\n")
    path.chmod(0o644)
    assert check_secrets(False, path, production=True).level == "fail"
    path.chmod(0o600)
    assert check_secrets(False, path, production=True).level == "ok"
    assert check_disk(tmp_path, 0.001).level == "ok"
    assert check_disk(tmp_path, 1e9).level == "fail"


def _doctor(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **env: str
) -> tuple[int, str]:
    for name, value in env.items():
        monkeypatch.setenv(f"KIWERK_{name.upper()}", value)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["kiwerk", "doctor", "--settings"])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as info:
            main()
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out + out.err


def test_cli_passes_on_development_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh development home passes (with warnings) and hides the secret."""
    code, out = _doctor(
        monkeypatch, capsys, home=str(tmp_path / "h"), secret_key="s3cret-value"
    )
    assert code == 0, out
    assert "all parts reachable" in out
    assert "s3cret-value" not in out


def test_cli_names_each_failed_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dead broker and Ray ports make a non-zero exit naming both parts."""
    code, out = _doctor(
        monkeypatch,
        capsys,
        home=str(tmp_path / "h"),
        broker_url=f"mqtt://127.0.0.1:{free_port()}",
        ray_address=f"127.0.0.1:{free_port()}",
    )
    assert code == 1
    assert "2 part(s) failed: MQTT broker, Ray cluster" in out


def test_cli_reports_a_development_secret_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Production with the default secret fails on the settings check."""
    code, out = _doctor(monkeypatch, capsys, home=str(tmp_path / "h"), env="production")
    assert code == 1
    assert "KIWERK_SECRET_KEY" in out
