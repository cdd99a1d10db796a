"""A world with one pilot trained (quick) through the API, for the domain views.

:func:`pilot_world` copies the template world (see ``conftest.py``), creates
the pilot's organisation with an owner, an analyst and a viewer, trains the
pilot quickly through ``POST /models/<pilot>/train`` (ingesting its real
datasets) and returns the home folder and every user's auth header.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from kiwerk.interfaces.api import create_app
from kiwerk.settings import Settings
from tests.interfaces.api.conftest import FAST, PASSWORD, World, _settings

Template = tuple[Path, dict[str, Any]]


def settings_of(home: Path, data_dir: Path) -> Settings:
    """Settings of a copied world (SQLite store in its home, the real data)."""
    return _settings(home, f"sqlite:///{home / 'meta.db'}").model_copy(
        update={"data": data_dir}
    )


def pilot_world(
    target: Path, template: Template, data_dir: Path, pilot: str, org: str
) -> Template:
    """The template plus ``org`` (owner o1, analyst a1, viewer v1) and ``pilot``."""
    source, headers = template
    home = target / "home"
    shutil.copytree(source, home)
    app = create_app(settings_of(home, data_dir), FAST)
    with TestClient(app) as client:
        world = World(
            client, app.state.services, {u: dict(h) for u, h in headers.items()}
        )
        r = client.post(
            "/orgs",
            headers=world.headers["ada"],
            json={"name": org, "owner": "o1", "owner_password": PASSWORD},
        )
        assert r.status_code == 201, r.text
        world.headers["o1"] = world.login("o1")
        for user, role in (("a1", "analyst"), ("v1", "viewer")):
            r = client.post(
                f"/orgs/{org}/users",
                headers=world.headers["o1"],
                json={"name": user, "role": role, "password": PASSWORD},
            )
            assert r.status_code == 201, r.text
            world.headers[user] = world.login(user)
        r = client.post(
            f"/models/{pilot}/train",
            headers=world.headers["a1"],
            json={"quick": True, "ingest": True},
        )
        assert r.status_code == 202, r.text
        job = r.json()
        deadline = time.monotonic() + 600
        while job["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.5)
            job = client.get(
                f"/jobs/{job['job_id']}", headers=world.headers["a1"]
            ).json()
        assert job["status"] == "succeeded", job
    world.services.store.close()
    return home, world.headers


def open_copy(tmp_path: Path, template: Template, data_dir: Path) -> Iterator[World]:
    """A live app on a fresh copy of a pilot world."""
    source, headers = template
    home = tmp_path / "home"
    shutil.copytree(source, home)
    app = create_app(settings_of(home, data_dir), FAST)
    with TestClient(app) as client:
        yield World(
            client, app.state.services, {u: dict(h) for u, h in headers.items()}
        )
