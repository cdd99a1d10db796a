"""``/pilots``: the pilot tracker over the API, with tenant and role checks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.interfaces.api.conftest import World

PILOT = {
    "name": "line-3",
    "organisation": "acme",
    "use_case": "failure-prediction",
    "kpi": "unplanned downtime",
    "unit": "h/month",
    "direction": "lower",
    "baseline": 40.0,
    "goal": 30.0,
}


def _create(api: World, user: str = "ana", **change: Any) -> Any:
    return api.client.post(
        "/pilots", headers=api.headers[user], json={**PILOT, **change}
    )


def test_create_record_and_show(api: World) -> None:
    """An analyst tracks a pilot and records iterations; members see progress."""
    assert _create(api).status_code == 201
    for value in (36.0, 29.0):
        r = api.client.post(
            "/pilots/line-3/iterations",
            headers=api.headers["ana"],
            json={"kpi_value": value, "models": ["m:1"], "datasets": ["pumps:1"]},
        )
        assert r.status_code == 201, r.text
    r = api.client.get("/pilots/line-3", headers=api.headers["vic"])
    body = r.json()
    assert [i["number"] for i in body["iterations"]] == [1, 2]
    assert body["progress"] == pytest.approx(1.1)
    assert body["goal_reached"] is True
    listed = api.client.get("/pilots", headers=api.headers["vic"]).json()
    assert [p["name"] for p in listed] == ["line-3"]


def test_viewer_may_not_create_or_record(api: World) -> None:
    """Viewers read pilots but neither create them nor record iterations (403)."""
    assert _create(api, "vic").status_code == 403
    assert _create(api).status_code == 201
    r = api.client.post(
        "/pilots/line-3/iterations", headers=api.headers["vic"], json={"kpi_value": 1}
    )
    assert r.status_code == 403
    assert (
        api.client.get("/pilots/line-3", headers=api.headers["vic"]).json()[
            "iterations"
        ]
        == []
    )


def test_other_organisations_see_nothing(api: World) -> None:
    """Members of another organisation get 404 and an empty list."""
    assert _create(api).status_code == 201
    for method, path in (
        ("GET", "/pilots/line-3"),
        ("GET", "/pilots/line-3/report"),
        ("POST", "/pilots/line-3/iterations"),
    ):
        r = api.client.request(
            method, path, headers=api.headers["ben"], json={"kpi_value": 1.0}
        )
        assert r.status_code == 404, (path, r.text)
    assert api.client.get("/pilots", headers=api.headers["ben"]).json() == []
    assert _create(api, "ben", name="x", organisation="acme").status_code == 404


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"goal": 50.0}, 422),  # goal worse than baseline for "lower"
        ({"direction": "sideways"}, 422),  # no such direction
        ({"name": "../etc"}, 422),  # not a valid name
        ({"baseline": "NaN"}, 422),  # not a finite number
    ],
)
def test_bad_pilot_is_refused_and_not_stored(
    api: World, change: dict[str, Any], status: int
) -> None:
    """A bad pilot definition is refused with 422 and nothing is stored."""
    assert _create(api, **change).status_code == status
    assert api.client.get("/pilots", headers=api.headers["ana"]).json() == []


def test_duplicate_is_conflict(api: World) -> None:
    """Tracking the same name twice is 409."""
    assert _create(api).status_code == 201
    assert _create(api).status_code == 409


def test_name_taken_by_another_org_answers_as_for_ones_own(api: World) -> None:
    """Ben (uni) hits acme's name: the same 409 as ana's, naming no owner."""
    assert _create(api).status_code == 201
    own = _create(api)
    other = _create(api, "ben", organisation="uni")
    assert own.status_code == other.status_code == 409
    assert own.json() == other.json()
    assert "acme" not in other.text
    assert "shared by all organisations" in other.json()["detail"]
    assert api.client.get("/pilots", headers=api.headers["ben"]).json() == []
    assert (
        api.client.get("/pilots/line-3", headers=api.headers["ben"]).status_code == 404
    )


def test_report_pdf_and_html(api: World) -> None:
    """The one-page report comes as PDF and HTML."""
    assert _create(api).status_code == 201
    api.client.post(
        "/pilots/line-3/iterations", headers=api.headers["ana"], json={"kpi_value": 35}
    )
    pdf = api.client.get("/pilots/line-3/report", headers=api.headers["vic"])
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    page = api.client.get(
        "/pilots/line-3/report?format=html", headers=api.headers["vic"]
    )
    assert "data:image/png;base64," in page.text


def test_writes_are_audited(api: World) -> None:
    """Creating a pilot and recording an iteration land in the audit log."""
    assert _create(api).status_code == 201
    api.client.post(
        "/pilots/line-3/iterations", headers=api.headers["ana"], json={"kpi_value": 35}
    )
    entries = api.client.get("/audit", headers=api.headers["ada"]).json()
    actions = [(e["action"], e["target"]) for e in entries]
    assert ("track_pilot", "acme/line-3") in actions
    assert ("record_iteration", "acme/line-3") in actions
