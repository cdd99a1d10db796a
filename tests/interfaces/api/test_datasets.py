"""Datasets over HTTP: create, upload, versions, quality, rows, grants, audit."""

from __future__ import annotations

from typing import Any

PUMPS = (
    "ts,machine,operator,temp,speed\n"
    "2024-01-01 00:00:00,M1,alice.meyer,20.5,1500\n"
    "2024-01-01 00:01:00,M1,alice.meyer,21.0,1510\n"
    "2024-01-01 00:02:00,M2,bernd.schulz,22.5,1490\n"
)


def test_each_org_lists_only_its_datasets(api: Any) -> None:
    """Members see their organisation's datasets and nothing of the other's."""
    ana = api.client.get("/datasets", headers=api.headers["ana"]).json()
    bob = api.client.get("/datasets", headers=api.headers["bob"]).json()
    assert [(d["name"], d["access"]) for d in ana] == [("pumps", "analyst")]
    assert [(d["name"], d["access"]) for d in bob] == [("scans", "owner")]


def test_upload_makes_next_version(api: Any) -> None:
    """An analyst's upload becomes version 2 with its quality report."""
    more = PUMPS + "2024-01-01 00:03:00,M2,bernd.schulz,23.0,1505\n"
    r = api.upload("ana", "pumps", "pumps.csv", more.encode())
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["version"], body["rows"], body["quality"]["passed"]) == (2, 4, True)
    versions = api.client.get("/datasets/pumps/versions", headers=api.headers["vic"])
    assert [v["version"] for v in versions.json()] == [1, 2]
    latest = api.client.get(
        "/datasets/pumps/versions/latest", headers=api.headers["vic"]
    )
    assert latest.json()["content_hash"] == body["content_hash"]
    quality = api.client.get(
        "/datasets/pumps/versions/1/quality", headers=api.headers["vic"]
    )
    assert quality.json()["rows"] == 3


def test_rows_are_pseudonymised_and_audited(api: Any) -> None:
    """Rows come back with personal columns pseudonymised; the read is audited."""
    r = api.client.get(
        "/datasets/pumps/versions/1/rows?limit=2", headers=api.headers["vic"]
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total"], len(body["rows"])) == (3, 2)
    assert body["rows"][0]["machine"] == "M1"
    assert "alice" not in r.text
    last = api.services.pool.audit.entries(limit=1)[0]
    assert (last.actor, last.action, last.target) == ("vic", "read", "pumps@1")


def test_viewer_cannot_upload_and_nothing_changes(api: Any) -> None:
    """A viewer's upload is 403 and the dataset keeps one version."""
    r = api.upload("vic", "pumps", "pumps.csv", PUMPS.encode())
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 403
    assert len(api.services.pool.versions("pumps", actor="ada")) == 1


def test_contract_violation_names_the_field(api: Any) -> None:
    """A file breaking the contract is 422 naming the column; nothing is stored."""
    spec = {"columns": {"temp": {"dtype": "float", "max": 21.0}}}
    r = api.client.put(
        "/datasets/pumps/spec", headers=api.headers["ana"], json={"spec": spec}
    )
    assert r.status_code == 200, r.text
    r = api.upload("ana", "pumps", "pumps.csv", PUMPS.encode())
    assert r.status_code == 422
    assert "temp" in r.json()["detail"]
    assert len(api.services.pool.versions("pumps", actor="ada")) == 1


def test_bad_spec_is_422(api: Any) -> None:
    """An invalid contract in a create request is 422, not 500."""
    r = api.client.post(
        "/datasets",
        headers=api.headers["ana"],
        json={"name": "x1", "org": "acme", "spec": {"columns": {"a": {"dtype": "?"}}}},
    )
    assert r.status_code == 422
    assert "dtype" in r.json()["detail"]


def test_train_grant_allows_metadata_not_rows(api: Any) -> None:
    """A train-only grant shows the dataset but its rows stay 403; read opens them."""
    r = api.client.put(
        "/datasets/pumps/grants/uni",
        headers=api.headers["ada"],
        json={"level": "train"},
    )
    assert r.status_code == 200, r.text
    listed = api.client.get("/datasets", headers=api.headers["ben"]).json()
    assert {d["name"]: d["access"] for d in listed}["pumps"] == "train"
    rows = "/datasets/pumps/versions/1/rows"
    assert api.client.get(rows, headers=api.headers["ben"]).status_code == 403
    api.client.put(
        "/datasets/pumps/grants/uni", headers=api.headers["ada"], json={"level": "read"}
    )
    assert api.client.get(rows, headers=api.headers["ben"]).status_code == 200
    grants = api.client.get("/datasets/pumps/grants", headers=api.headers["vic"])
    assert grants.json() == [{"org": "uni", "level": "read"}]
    r = api.client.delete("/datasets/pumps/grants/uni", headers=api.headers["ada"])
    assert r.status_code == 204
    assert api.client.get(rows, headers=api.headers["ben"]).status_code == 404


def test_only_owners_grant(api: Any) -> None:
    """An analyst may not grant; an unknown grantee organisation is 404."""
    url = "/datasets/pumps/grants/uni"
    r = api.client.put(url, headers=api.headers["ana"], json={"level": "read"})
    assert r.status_code == 403
    r = api.client.put(
        "/datasets/pumps/grants/nowhere",
        headers=api.headers["ada"],
        json={"level": "read"},
    )
    assert r.status_code == 404


def test_audit_shows_own_org_only_and_verifies(api: Any) -> None:
    """Owners see entries about their organisation only; verify checks the chain."""
    entries: list[dict[str, Any]] = api.client.get(
        "/audit?limit=1000", headers=api.headers["ada"]
    ).json()
    targets = {e["target"] for e in entries}
    assert "pumps@1" in targets
    assert not any("scans" in t or t.startswith("uni") for t in targets)
    bob = api.client.get("/audit?limit=1000", headers=api.headers["bob"]).json()
    assert any(e["target"] == "scans@1" for e in bob)
    assert not any("pumps" in e["target"] for e in bob)
    assert api.client.get("/audit", headers=api.headers["ana"]).status_code == 403
    r = api.client.post("/audit/verify", headers=api.headers["ada"])
    assert r.json()["ok"] is True
    assert r.json()["entries"] > 5


def test_audit_verify_reports_tampering(api: Any) -> None:
    """An edited audit entry makes verify answer ok=false naming the entry."""
    import duckdb

    con = duckdb.connect(str(api.services.pool.catalog.path))
    con.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
    con.close()
    r = api.client.post("/audit/verify", headers=api.headers["ada"])
    assert r.status_code == 200
    assert r.json()["ok"] is False
    assert "2" in r.json()["error"]


def test_dataset_name_of_another_org_answers_as_for_ones_own(api: Any) -> None:
    """Ben (uni) creating acme's ``pumps`` gets ana's 409, naming no owner."""
    own = api.client.post(
        "/datasets", headers=api.headers["ana"], json={"name": "pumps", "org": "acme"}
    )
    other = api.client.post(
        "/datasets", headers=api.headers["ben"], json={"name": "pumps", "org": "uni"}
    )
    assert own.status_code == other.status_code == 409
    assert own.json() == other.json()
    assert "acme" not in other.text
    ben = api.headers["ben"]
    listed = {d["name"] for d in api.client.get("/datasets", headers=ben).json()}
    assert "pumps" not in listed  # still invisible, nothing created for uni
    assert api.client.get("/datasets/pumps", headers=ben).status_code == 404
