"""``/fleet/rul``: the C-MAPSS test fleet scored by the registered RUL model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interfaces.api.conftest import World
from tests.interfaces.api.domain_worlds import Template, open_copy, pilot_world

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def rul_template(
    tmp_path_factory: pytest.TempPathFactory, template: Template, data_dir: Path
) -> Template:
    """The world with org industry and industry-rul trained (quick) on FD001."""
    return pilot_world(
        tmp_path_factory.mktemp("rul"), template, data_dir, "industry-rul", "industry"
    )


@pytest.fixture
def fleet(tmp_path: Path, rul_template: Template, data_dir: Path) -> Iterator[World]:
    """A live app on a copy of the RUL world."""
    yield from open_copy(tmp_path, rul_template, data_dir)


def test_fleet_rul_has_every_engine_with_an_interval_and_the_policies(
    fleet: World,
) -> None:
    """100 FD001 test engines with ordered intervals; three policies compared."""
    r = fleet.client.get("/fleet/rul", headers=fleet.headers["v1"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "industry-rul"
    engines = body["engines"]
    assert [e["unit"] for e in engines] == list(range(1, 101))
    for e in engines:
        assert 0.0 <= e["lower"] <= e["estimate"] <= e["upper"]
        assert e["truth"] is not None
    inside = sum(e["lower"] <= e["truth"] <= e["upper"] for e in engines) / 100
    assert body["coverage"] == pytest.approx(inside)
    assert body["coverage"] > 0.6  # a 90% interval, even from the quick model
    policies = {p["policy"]: p for p in body["policies"]}
    assert set(policies) == {"run-to-failure", "fixed-interval", "predictive"}
    assert policies["run-to-failure"]["failures"] == 100
    assert body["saving"] == pytest.approx(
        policies["fixed-interval"]["cost"] - policies["predictive"]["cost"]
    )
    wider = fleet.client.get(
        "/fleet/rul", headers=fleet.headers["v1"], params={"alpha": 0.5}
    ).json()
    narrow = [e["upper"] - e["lower"] for e in wider["engines"]]
    wide = [e["upper"] - e["lower"] for e in engines]
    assert sum(narrow) < sum(wide)  # a 50% interval is narrower than a 90% one


def test_fleet_is_invisible_to_other_organisations_and_checks_input(
    fleet: World,
) -> None:
    """Other organisations get 404; bad alpha or version is 422 problem details."""
    r = fleet.client.get("/fleet/rul", headers=fleet.headers["ada"])
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    for params in ({"alpha": 1.5}, {"alpha": "x"}, {"version": "latest"}):
        r = fleet.client.get("/fleet/rul", headers=fleet.headers["v1"], params=params)
        assert r.status_code == 422, params
    r = fleet.client.get(
        "/fleet/rul", headers=fleet.headers["v1"], params={"version": 99}
    )
    assert r.status_code == 404
