"""``/mobility``: forecast vs actual, signal results and tours on Aachen's streets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiwerk.domains.mobility import (
    EpisodeResult,
    record_signal_results,
    signal_results_path,
)
from tests.interfaces.api.conftest import World
from tests.interfaces.api.domain_worlds import Template, open_copy, pilot_world

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def mobility_template(
    tmp_path_factory: pytest.TempPathFactory, template: Template, data_dir: Path
) -> Template:
    """The world with org mobility and mobility-forecast trained on Los-loop."""
    return pilot_world(
        tmp_path_factory.mktemp("mob"),
        template,
        data_dir,
        "mobility-forecast",
        "mobility",
    )


@pytest.fixture
def mobility(
    tmp_path: Path, mobility_template: Template, data_dir: Path
) -> Iterator[World]:
    """A live app on a copy of the mobility world."""
    yield from open_copy(tmp_path, mobility_template, data_dir)


def test_forecast_lines_up_with_the_measured_speed(mobility: World) -> None:
    """15- and 60-minute forecasts of a sensor against what was measured."""
    v1 = mobility.headers["v1"]
    sensors = mobility.client.get("/mobility/forecast/sensors", headers=v1).json()
    assert len(sensors) == 207
    r = mobility.client.get(
        "/mobility/forecast", headers=v1, params={"sensor": sensors[5]}
    )
    assert r.status_code == 200, r.text
    near = r.json()
    assert near["sensor"] == sensors[5]
    assert near["horizon_min"] == 15
    ts = np.array(near["ts"])
    assert np.all(np.diff(ts) == 300)  # 5-minute steps
    actual = np.array(near["actual"], dtype=float)
    forecast = np.array(near["forecast"], dtype=float)
    assert len(actual) == len(forecast) == len(ts) > 350
    err = forecast - actual
    assert near["rmse"] == pytest.approx(np.sqrt(np.nanmean(err**2)), rel=1e-4)
    assert near["rmse"] < np.nanstd(actual)  # better than guessing the mean
    far = mobility.client.get(
        "/mobility/forecast",
        headers=v1,
        params={"sensor": sensors[5], "minutes": 60},
    ).json()
    assert far["ts"][0] == near["ts"][0] + 45 * 60  # made at the same rows
    assert far["actual"][-1] == near["actual"][-1]


def test_signals_show_the_latest_recorded_comparison(mobility: World) -> None:
    """Rows recorded by the signals command appear; before any, a 404 says why."""
    v1 = mobility.headers["v1"]
    r = mobility.client.get("/mobility/signals", headers=v1)
    assert r.status_code == 404
    assert "kiwerk mobility signals run" in r.json()["detail"]
    home = mobility.services.settings.home
    runs = [
        EpisodeResult("cologne1", c, s, d + s, 300, np.zeros(0), np.zeros(0))
        for c, d in (("fixed", 30.0), ("adaptive", 12.0))
        for s in (0, 1)
    ]
    record_signal_results(runs, 3600, signal_results_path(home))
    rows = mobility.client.get("/mobility/signals", headers=v1).json()["rows"]
    assert [(r["controller"], r["delay_s"], r["seeds"]) for r in rows] == [
        ("adaptive", 12.5, 2),
        ("fixed", 30.5, 2),
    ]


def test_tours_are_geojson_on_the_street_network(mobility: World) -> None:
    """Tours follow Aachen's streets; every parcel is a stop or named unserved."""
    r = mobility.client.get(
        "/mobility/tours",
        headers=mobility.headers["v1"],
        params={"parcels": 12, "seconds": 1, "vehicles": 2},
    )
    assert r.status_code == 200, r.text
    geo = r.json()
    assert geo["type"] == "FeatureCollection"
    kinds = [f["properties"]["kind"] for f in geo["features"]]
    streets = geo["features"][0]["geometry"]["coordinates"]
    assert kinds[0] == "streets"
    assert len(streets) > 1000  # the street network itself, not tiles
    lon0, lat0, lon1, lat1 = geo["bbox"]
    assert 6.0 < lon0 < lon1 < 6.2
    assert 50.7 < lat0 < lat1 < 50.85  # Aachen
    stops = [f for f in geo["features"] if f["properties"]["kind"] == "stop"]
    assert len(stops) + len(geo["properties"]["unserved"]) == 12
    assert kinds.count("hub") == 2
    nodes = {tuple(p) for seg in streets for p in seg}
    for tour in (f for f in geo["features"] if f["properties"]["kind"] == "tour"):
        assert {tuple(p) for p in tour["geometry"]["coordinates"]} <= nodes


def test_mobility_is_invisible_to_others_and_checks_input(mobility: World) -> None:
    """Other organisations get 404; bad sensor, horizon or size are problems."""
    for path in ("/mobility/forecast", "/mobility/signals", "/mobility/tours"):
        r = mobility.client.get(path, headers=mobility.headers["ada"])
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
    v1 = mobility.headers["v1"]
    r = mobility.client.get("/mobility/forecast", headers=v1, params={"sensor": "x"})
    assert r.status_code == 404
    assert "'x'" in r.json()["detail"]
    for params in ({"minutes": 7}, {"minutes": 90}):
        r = mobility.client.get("/mobility/forecast", headers=v1, params=params)
        assert r.status_code == 422, params
    r = mobility.client.get("/mobility/tours", headers=v1, params={"parcels": 500})
    assert r.status_code == 422
