"""``kiwerk serve init|password`` and ``kiwerk serve`` over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from kiwerk.interfaces.cli.app import app
from kiwerk.settings import get_settings

PASSWORD = "correct horse battery staple"


def test_init_then_login_over_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """init creates the owner; the served API logs them in; a second init fails."""
    env = {
        "KIWERK_HOME": str(tmp_path / "home"),
        "KIWERK_SECRET_KEY": "serve-test-secret",
        "KIWERK_DOWNLOAD": "false",
    }
    runner = CliRunner()
    answer = f"{PASSWORD}\n{PASSWORD}\n"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        r = runner.invoke(app, ["serve", "init", "acme", "ada"], input=answer)
        assert r.exit_code == 0, r.output
        again = runner.invoke(app, ["serve", "init", "evil", "eve"], input=answer)
        assert again.exit_code != 0
    finally:
        get_settings.cache_clear()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiwerk", "serve", "--port", str(port)],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        token = httpx.post(
            f"{base}/auth/token", data={"username": "ada", "password": PASSWORD}
        )
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        me = httpx.get(f"{base}/auth/me", headers=bearer).json()
        assert me["roles"] == {"acme": "owner"}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
