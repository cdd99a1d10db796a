"""Login, who-am-I, organisations, datasets and problem details."""

from __future__ import annotations

from typing import Any


def test_health_needs_no_credentials(api: Any) -> None:
    """GET /health answers 200 without credentials."""
    r = api.client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_me_lists_roles(api: Any) -> None:
    """GET /auth/me names the caller and only its own roles."""
    r = api.client.get("/auth/me", headers=api.headers["ana"])
    assert r.json() == {"actor": "ana", "kind": "user", "roles": {"acme": "analyst"}}
    r = api.client.get("/auth/me", headers=api.headers["bob"])
    assert r.json()["roles"] == {"uni": "owner"}
