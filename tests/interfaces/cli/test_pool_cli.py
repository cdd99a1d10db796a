"""``kiwerk pool`` and ``kiwerk demo`` end to end, through the real entry point."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiwerk.interfaces.cli.app import main
from kiwerk.settings import get_settings

CONTRACT = """
[dataset]
policy = "quarantine"
[columns.temp]
dtype = "float"
max = 22.0
"""
PUMPS = """\
ts,machine,operator,temp
2024-01-01 00:00:00,M1,alice,20.5
2024-01-01 00:01:00,M2,bernd,23.0
2024-01-01 00:02:00,M3,carla,21.0
"""


def kiwerk(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    """Run ``kiwerk ARGS`` in-process; return exit code and stdout + stderr."""
    monkeypatch.setattr(sys, "argv", ["kiwerk", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out + out.err


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A clean KIWERK_HOME, acting as user ``ada``, with a wide terminal."""
    monkeypatch.setenv("KIWERK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KIWERK_USER", "ada")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


@pytest.mark.usefixtures("home")
def test_pool_workflow(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Init, ingest with contract and pseudonyms, versions, sql, k-anon, audit."""
    data = tmp_path / "pumps.csv"
    data.write_text(PUMPS)
    contract = tmp_path / "contract.toml"
    contract.write_text(CONTRACT)

    def run(*args: str) -> tuple[int, str]:
        return kiwerk(capsys, monkeypatch, *args)

    assert run("pool", "init", "--org", "acme", "--owner", "ada")[0] == 0
    code, out = run(
        "pool", "ingest", str(data), "--dataset", "pumps", "--schema", str(contract),
        "--personal", "operator", "--html", str(tmp_path / "q.html"),
    )  # fmt: skip
    assert code == 0, out
    assert "2 rows stored, 1 quarantined" in out
    assert "less_than_or_equal_to(22.0)" in out
    assert (tmp_path / "q.html").read_text().startswith("<!doctype html>")
    code, out = run("pool", "sql", "SELECT count(DISTINCT operator) AS n FROM pumps")
    assert (code, out.split()[-1]) == (0, "2")
    assert "alice" not in run("pool", "read", "pumps")[1]
    assert run("pool", "k-anon", "pumps", "--qi", "machine", "--k", "2")[0] == 4
    assert run("pool", "org", "create", "uni")[0] == 0
    assert run("pool", "grant", "pumps", "--to", "uni", "--level", "train")[0] == 0
    code, out = run("pool", "quality", "pumps", "--json")
    assert code == 0
    assert '"rows_quarantined": 1' in out
    code, out = run("pool", "audit", "verify")
    assert (code, "audit log intact" in out) == (0, True)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("pool", "read", "nope"), 5, "unknown dataset 'nope'"),
        (("pool", "ingest", "missing.csv", "--dataset", "d"), 3, "no such file"),
        (("pool", "init", "--org", "x", "--owner", "y"), 6, "already initialised"),
        (("pool", "grant", "d", "--to", "acme"), 5, "unknown dataset"),
    ],
    ids=["unknown-dataset", "missing-file", "second-init", "grant-unknown"],
)
@pytest.mark.usefixtures("home")
def test_errors_exit_non_zero(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    """Kiwerk errors become a message on stderr and the error's exit code."""
    kiwerk(capsys, monkeypatch, "pool", "init", "--org", "acme", "--owner", "ada")
    got, out = kiwerk(capsys, monkeypatch, *args)
    assert got == code
    assert message in out


@pytest.mark.usefixtures("home")
def test_permission_denied_exit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user without a role gets exit code 4 and a hint whom to ask."""
    kiwerk(capsys, monkeypatch, "pool", "init", "--org", "acme", "--owner", "ada")
    monkeypatch.setenv("KIWERK_USER", "mallory")
    code, out = kiwerk(capsys, monkeypatch, "pool", "org", "create", "evil")
    assert code == 4
    assert "must be an owner" in out


@pytest.mark.slow
def test_demo_from_clean_home(
    home: Path,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The demo ingests AI4I 2020 into a new pool, reports quality, trains the pilot."""
    monkeypatch.setenv("KIWERK_DATA", str(data_dir))
    code, out = kiwerk(capsys, monkeypatch, "demo", "--no-serve")
    assert code == 0, out
    assert "ai4i2020 v1: 10,000 rows stored" in out
    assert "passed" in out
    assert "audit log intact: 3 entries" in out
    assert (home / "secrets.toml").stat().st_mode & 0o777 == 0o600
    assert "registered industry-failure version 1 as candidate" in out
    code, out = kiwerk(capsys, monkeypatch, "demo", "--no-train", "--no-serve")
    assert code == 0, out
    assert "ai4i2020 v2" in out
    assert "registered" not in out


@pytest.mark.usefixtures("home")
def test_listing_and_export_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Users, versions, show, list, check, diff, export, revoke and audit list work."""
    data = tmp_path / "pumps.csv"
    data.write_text(PUMPS)

    def run(*args: str) -> tuple[int, str]:
        return kiwerk(capsys, monkeypatch, *args)

    run("pool", "init", "--org", "acme", "--owner", "ada")
    assert (
        run("pool", "user", "add", "vic", "--org", "acme", "--role", "viewer")[0] == 0
    )
    assert "vic (viewer)" in run("pool", "org", "list")[1]
    run("pool", "ingest", str(data), "--dataset", "pumps", "--personal", "operator")
    data.write_text(PUMPS.replace("21.0", "21.5"))
    run("pool", "ingest", str(data), "--dataset", "pumps")
    assert "│ 2 " in run("pool", "versions", "pumps")[1]
    assert '"version": 1' in run("pool", "show", "pumps", "--version", "1")[1]
    assert "pumps" in run("pool", "list")[1]
    diff = run("pool", "diff", "pumps", "1")[1]
    assert '"rows_added": 1' in diff
    assert run("pool", "check", str(data), "--dataset", "pumps")[0] == 0
    out_file = tmp_path / "out.parquet"
    assert run("pool", "export", "pumps", str(out_file))[0] == 0
    assert out_file.stat().st_size > 0
    run("pool", "org", "create", "uni")
    run("pool", "grant", "pumps", "--to", "uni")
    assert run("pool", "revoke", "pumps", "--from", "uni")[0] == 0
    audit = run("pool", "audit", "list", "--limit", "4")[1]
    assert "revoke" in audit
    assert "export" in audit
    monkeypatch.setenv("KIWERK_USER", "vic")
    code, out = run("pool", "ingest", str(data), "--dataset", "pumps")
    assert code == 4
    assert "'vic' needs role 'analyst'" in out


@pytest.mark.slow
@pytest.mark.service
@pytest.mark.usefixtures("home")
def test_demo_serves_the_dashboard_with_a_live_line(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``kiwerk demo`` serves the dashboard, a live line and signal results."""
    import shutil
    import threading
    import time

    import httpx

    from kiwerk.domains.industry.stream import free_port

    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto not installed (scripts/system-packages installs it)")
    monkeypatch.setenv("KIWERK_DATA", str(data_dir))
    monkeypatch.setattr(
        "kiwerk.interfaces.cli.demo_live.secrets.token_urlsafe",
        lambda n: "demo-password-1",
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    seen: dict[str, object] = {}

    def probe() -> None:
        """Log in while the demo serves; read the line and the signals."""
        deadline = time.monotonic() + 240
        r = None
        with httpx.Client(base_url=url, timeout=10) as client:
            while time.monotonic() < deadline:
                try:
                    r = client.post(
                        "/auth/token",
                        data={"username": "ada", "password": "demo-password-1"},
                    )
                except httpx.TransportError:
                    time.sleep(0.5)
                    continue
                if r.status_code == 200:
                    break
                time.sleep(0.5)
            assert r is not None
            assert r.status_code == 200, r.text
            auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
            time.sleep(4)  # a few ticks of the line
            seen["line"] = client.get("/line", headers=auth).json()
            seen["signals"] = client.get("/mobility/signals", headers=auth).json()
            seen["page"] = client.get("/ui/login").status_code

    prober = threading.Thread(target=probe)
    prober.start()
    code, out = kiwerk(
        capsys,
        monkeypatch,
        "demo",
        "--no-train",
        "--port",
        str(port),
        "--duration",
        "30",
        "--machines",
        "5",
    )
    prober.join(timeout=60)
    assert code == 0, out
    assert f"dashboard: {url}/ui/" in out
    assert "log in as ada with password demo-password-1" in out
    line = seen["line"]
    assert isinstance(line, dict)
    assert [m["name"] for m in line["machines"]] == [
        f"engine-{i:03d}" for i in range(1, 6)
    ]
    assert all(m["readings"] >= 2 for m in line["machines"])
    signals = seen["signals"]
    assert isinstance(signals, dict)
    assert {r["controller"] for r in signals["rows"]} == {
        "fixed",
        "max_pressure",
        "adaptive",
    }
    assert seen["page"] == 200
