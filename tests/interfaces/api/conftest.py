"""Fixtures of the API tests; every API test runs on SQLite and on PostgreSQL.

- ``store_url``: a fresh metadata store URL, parametrised over the embedded
  SQLite file and a PostgreSQL schema of its own. PostgreSQL comes from
  ``KIWERK_TEST_POSTGRES_URL`` or ``.kiwerk-ci/postgres.url`` (written by
  ``scripts/services start``); without a reachable server its cases are
  skipped with the reason, except under ``CI=true`` where they fail.
- ``small``: the same world with tiny body limits, on SQLite.
- ``trained``: the world plus organisation industry (owner ida, analyst ian)
  with the AI4I failure model trained once (quick) through the API.
- ``api``: a :class:`World` — a live app (``TestClient``) with organisations
  acme (owner ada, analyst ana, viewer vic; dataset ``pumps`` v1) and uni
  (owner bob, analyst ben; dataset ``scans`` v1), and an access token for each
  user in ``api.headers[user]``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kiwerk.core.auth import PasswordParams, bootstrap_owner
from kiwerk.core.monitor.live import LiveMonitorParams, PerformanceParams
from kiwerk.core.store import MetadataStore
from kiwerk.core.store import _tables as tables
from kiwerk.interfaces.api import ApiParams, create_app
from kiwerk.interfaces.api.deps import Services
from kiwerk.settings import Settings

PASSWORD = "correct horse battery staple"
FAST = ApiParams(
    passwords=PasswordParams(time_cost=1, memory_kib=8192, parallelism=1),
    monitor=LiveMonitorParams(reference_size=200, window_size=100),
    performance=PerformanceParams(window_size=50, max_remembered=150),
)
PUMPS = (
    "ts,machine,operator,temp,speed\n"
    "2024-01-01 00:00:00,M1,alice.meyer,20.5,1500\n"
    "2024-01-01 00:01:00,M1,alice.meyer,21.0,1510\n"
    "2024-01-01 00:02:00,M2,bernd.schulz,22.5,1490\n"
)
SCANS = "patient,age,finding\nP1,54,normal\nP2,61,nodule\n"


@dataclass
class World:
    """A live app with two organisations, their users, datasets and tokens."""

    client: TestClient
    services: Services
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def login(self, user: str, password: str = PASSWORD) -> dict[str, str]:
        """Log ``user`` in through the API; return its auth header."""
        r = self.client.post(
            "/auth/token", data={"username": user, "password": password}
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def upload(
        self, user: str, dataset: str, name: str, body: bytes, ctype: str = "text/csv"
    ) -> Any:
        """Upload ``body`` as file ``name`` into ``dataset`` as ``user``."""
        return self.client.post(
            f"/datasets/{dataset}/versions",
            headers=self.headers[user],
            files={"file": (name, body, ctype)},
        )


def _settings(home: Path, store_url: str) -> Settings:
    return Settings(
        home=home,
        metadata_database_url=store_url,
        secret_key="test-secret-key-for-tokens",
        download=False,
    )


def _build_world(world: World) -> None:
    client, pool, services = world.client, world.services.pool, world.services
    bootstrap_owner(
        pool, services.store, services.hasher, org="acme", user="ada", password=PASSWORD
    )
    world.headers["ada"] = world.login("ada")
    for user, role in (("ana", "analyst"), ("vic", "viewer")):
        r = client.post(
            "/orgs/acme/users",
            headers=world.headers["ada"],
            json={"name": user, "role": role, "password": PASSWORD},
        )
        assert r.status_code == 201, r.text
    r = client.post(
        "/orgs",
        headers=world.headers["ada"],
        json={"name": "uni", "owner": "bob", "owner_password": PASSWORD},
    )
    assert r.status_code == 201, r.text
    world.headers["bob"] = world.login("bob")
    r = client.post(
        "/orgs/uni/users",
        headers=world.headers["bob"],
        json={"name": "ben", "role": "analyst", "password": PASSWORD},
    )
    assert r.status_code == 201, r.text
    for user in ("ana", "vic", "ben"):
        world.headers[user] = world.login(user)
    for user, org, name, body in (
        ("ana", "acme", "pumps", PUMPS),
        ("ben", "uni", "scans", SCANS),
    ):
        spec = {"personal": ["operator"]} if name == "pumps" else {}
        r = client.post(
            "/datasets",
            headers=world.headers[user],
            json={"name": name, "org": org, "spec": spec},
        )
        assert r.status_code == 201, r.text
        r = world.upload(user, name, f"{name}.csv", body.encode())
        assert r.status_code == 201, r.text


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The world built once through the API (SQLite store); copied per test."""
    home = tmp_path_factory.mktemp("template") / "home"
    app = create_app(_settings(home, f"sqlite:///{home / 'meta.db'}"), FAST)
    with TestClient(app) as client:
        world = World(client, app.state.services)
        _build_world(world)
    world.services.store.close()
    return home, world.headers


def open_world(
    tmp_path: Path,
    store_url: str,
    template: tuple[Path, dict[str, Any]],
    params: ApiParams = FAST,
) -> Iterator[World]:
    """A fresh copy of the template world on ``store_url`` with ``params``."""
    source, headers = template
    home = tmp_path / "home"
    shutil.copytree(source, home)
    if store_url.startswith("sqlite"):
        store_url = f"sqlite:///{home / 'meta.db'}"
    else:
        _copy_store(f"sqlite:///{home / 'meta.db'}", store_url)
    app = create_app(_settings(home, store_url), params)
    with TestClient(app) as client:
        yield World(
            client, app.state.services, {u: dict(h) for u, h in headers.items()}
        )


@pytest.fixture
def api(
    tmp_path: Path, store_url: str, template: tuple[Path, dict[str, Any]]
) -> Iterator[World]:
    """A fresh copy of the template world on the parametrised metadata store."""
    yield from open_world(tmp_path, store_url, template)


def _copy_store(source: str, target: str) -> None:
    src, dst = MetadataStore.open(source), MetadataStore.open(target)
    with src.engine.connect() as a, dst.engine.begin() as b:
        for table in tables.metadata.sorted_tables:
            rows = [r._asdict() for r in a.execute(table.select())]
            if rows:
                b.execute(table.insert(), rows)
    src.close()
    dst.close()


@pytest.fixture
def small(tmp_path: Path, template: tuple[Path, dict[str, Any]]) -> Iterator[World]:
    """The world with tiny body limits (2 KiB JSON, 4 KiB uploads), SQLite store."""
    params = ApiParams(
        passwords=FAST.passwords, max_body_bytes=2048, max_upload_bytes=4096
    )
    yield from open_world(tmp_path, "sqlite", template, params)


@pytest.fixture(scope="session")
def trained_template(
    tmp_path_factory: pytest.TempPathFactory,
    template: tuple[Path, dict[str, Any]],
    data_dir: Path,
) -> tuple[Path, dict[str, Any]]:
    """The template plus org ``industry`` (owner ida, analyst ian) whose
    AI4I failure model was trained once through ``POST /models/.../train``."""
    source, headers = template
    home = tmp_path_factory.mktemp("trained") / "home"
    shutil.copytree(source, home)
    settings = _settings(home, f"sqlite:///{home / 'meta.db'}")
    app = create_app(settings.model_copy(update={"data": data_dir}), FAST)
    with TestClient(app) as client:
        world = World(
            client, app.state.services, {u: dict(h) for u, h in headers.items()}
        )
        r = client.post(
            "/orgs",
            headers=world.headers["ada"],
            json={"name": "industry", "owner": "ida", "owner_password": PASSWORD},
        )
        assert r.status_code == 201, r.text
        world.headers["ida"] = world.login("ida")
        r = client.post(
            "/orgs/industry/users",
            headers=world.headers["ida"],
            json={"name": "ian", "role": "analyst", "password": PASSWORD},
        )
        assert r.status_code == 201, r.text
        world.headers["ian"] = world.login("ian")
        r = client.post(
            "/models/industry-failure/train",
            headers=world.headers["ian"],
            json={"quick": True, "ingest": True},
        )
        assert r.status_code == 202, r.text
        job = r.json()
        deadline = time.monotonic() + 300
        while job["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.5)
            job = client.get(
                f"/jobs/{job['job_id']}", headers=world.headers["ian"]
            ).json()
        assert job["status"] == "succeeded", job
    world.services.store.close()
    return home, {**world.headers, "job": {"id": job["job_id"]}}


@pytest.fixture
def trained(
    tmp_path: Path, store_url: str, trained_template: tuple[Path, dict[str, Any]]
) -> Iterator[World]:
    """A fresh copy of the trained world on the parametrised metadata store."""
    yield from open_world(tmp_path, store_url, trained_template)
