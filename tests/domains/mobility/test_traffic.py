"""Traffic forecasting: protocol, metrics, models, explanations, bad input."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kiwerk.domains.mobility import (
    DailyProfile,
    ForecastParams,
    GradientBoosting,
    GraphBlend,
    GraphDiffusionNet,
    GraphMlp,
    GraphRidge,
    HistoricalAverage,
    Persistence,
    SpeedSeries,
    build_features,
    check_speed,
    read_speed_h5,
    split_origins,
    targets,
    tgcn_metrics,
)
from kiwerk.domains.mobility._traffic_explain import draw_sensor_map, explain_forecast
from kiwerk.errors import ContractViolation, DataFormatError

PARAMS = ForecastParams(input_steps=12, horizon=3)


def _rmse(series: SpeedSeries, model: object) -> float:
    train, test, _ = split_origins(len(series.speed), input_steps=12, horizon=3)
    model.fit(series, train)  # type: ignore[attr-defined]
    forecast = model.predict(series, test)  # type: ignore[attr-defined]
    return tgcn_metrics(targets(series.speed, test, 3), forecast)["rmse"]


def test_split_keeps_test_windows_after_train_rows() -> None:
    """T-GCN windows: no test input or target falls in the training rows."""
    train, test, end = split_origins(100, input_steps=12, horizon=3)
    assert end == 80
    assert train.max() + 3 <= end
    assert test.min() - 12 >= end
    assert len(train) == 80 - 12 - 3
    assert len(test) == 20 - 12 - 3


def test_metrics_match_hand_computation() -> None:
    """RMSE/MAE/accuracy/R² agree with the formulas on a tiny example."""
    truth = np.array([[[10.0]], [[20.0]]])
    forecast = np.array([[[12.0]], [[18.0]]])
    m = tgcn_metrics(truth, forecast)
    assert m["rmse"] == pytest.approx(2.0)
    assert m["mae"] == pytest.approx(2.0)
    assert m["accuracy"] == pytest.approx(1 - np.sqrt(8) / np.sqrt(500))
    assert m["r2"] == pytest.approx(1 - 8 / 50)


def test_graph_ridge_uses_upstream_sensors(wave_series: SpeedSeries) -> None:
    """On a travelling wave the graph ridge beats persistence and the profile."""
    ridge = _rmse(wave_series, GraphRidge(PARAMS, alpha=1.0))
    assert ridge < 0.8 * _rmse(wave_series, Persistence(PARAMS))
    assert ridge < _rmse(wave_series, HistoricalAverage(PARAMS))


def test_network_and_blend_forecast_every_step(wave_series: SpeedSeries) -> None:
    """The graph network and the blend return (windows, sensors, horizon)."""
    train, test, _ = split_origins(576, input_steps=12, horizon=3)
    blend = GraphBlend(PARAMS, epochs=1, weight=0.5).fit(wave_series, train)
    out = blend.predict(wave_series, test)
    assert out.shape == (len(test), 6, 3)
    assert np.isfinite(out).all()
    with pytest.raises(ValueError, match="epochs"):
        GraphMlp(PARAMS, epochs=0)


def test_graph_diffusion_net_learns_the_wave(wave_series: SpeedSeries) -> None:
    """The graph network beats the daily profile and averages its copies."""
    net = GraphDiffusionNet(PARAMS, epochs=6, hidden=16, seeds=2)
    assert _rmse(wave_series, net) < _rmse(wave_series, HistoricalAverage(PARAMS))
    assert len(net.nets_) == 2
    _, test, _ = split_origins(576, input_steps=12, horizon=3)
    copy = pickle.loads(pickle.dumps(net))
    assert np.allclose(copy.predict(wave_series, test), net.predict(wave_series, test))


def test_blend_with_graph_net_fits_three_members(wave_series: SpeedSeries) -> None:
    """A positive gnn_weight adds the graph network as a third member."""
    train, test, _ = split_origins(576, input_steps=12, horizon=3)
    blend = GraphBlend(PARAMS, epochs=1, gnn_weight=0.5, gnn_stop=1)
    out = blend.fit(wave_series, train).predict(wave_series, test)
    assert len(blend.members) == 3
    assert out.shape == (len(test), 6, 3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"epochs": 0},  # no training at all
        {"epochs": 4, "stop": 5},  # stop after the schedule ends
        {"seeds": 0},  # no copy to average
        {"huber_delta": 0.0},  # a Huber loss without a quadratic zone
    ],
)
def test_graph_diffusion_net_refuses_bad_settings(kwargs: dict[str, float]) -> None:
    """Impossible epoch/stop/seed settings are refused early."""
    with pytest.raises(ValueError, match="Expected"):
        GraphDiffusionNet(PARAMS, **kwargs)  # type: ignore[arg-type]


def test_anomaly_features_are_own_lags_minus_the_profile(
    wave_series: SpeedSeries,
) -> None:
    """anomaly=True appends each own lag minus the daily profile at that time."""
    origins = np.array([100, 250])
    profile = DailyProfile.fit(wave_series, 300)
    plain = build_features(wave_series, origins, profile, input_steps=12, horizon=3)
    block = build_features(
        wave_series, origins, profile, input_steps=12, horizon=3, anomaly=True
    )
    assert block.values.shape[2] == plain.values.shape[2] + 12
    assert block.names[-1] == "anomaly_lag1"
    usual = profile.at(wave_series, np.array([249]))[0, 4]
    expected = (wave_series.speed[249, 4] - usual) / 10.0
    assert block.values[1, 4, -1] == pytest.approx(expected, rel=1e-5)
    assert np.array_equal(block.values[..., : plain.values.shape[2]], plain.values)


def test_graph_diffusion_net_trains_on_squared_error_too(
    wave_series: SpeedSeries,
) -> None:
    """huber_delta=None trains the same network on the squared error."""
    net = GraphDiffusionNet(PARAMS, epochs=2, hidden=8, huber_delta=None)
    assert np.isfinite(_rmse(wave_series, net))


def test_gradient_boosting_baseline_fits(wave_series: SpeedSeries) -> None:
    """The LightGBM baseline learns something better than the daily profile."""
    gbm = GradientBoosting(PARAMS, n_estimators=30, max_rows=5_000)
    assert _rmse(wave_series, gbm) < _rmse(wave_series, HistoricalAverage(PARAMS))


def test_explanation_names_the_upstream_sensor(wave_series: SpeedSeries) -> None:
    """The occlusion explanation ranks the sensor itself or its upstream first."""
    train, _, _ = split_origins(576, input_steps=12, horizon=3)
    model = GraphRidge(PARAMS, alpha=1.0).fit(wave_series, train)
    dip = int(np.argmin(wave_series.speed[480:560, 2])) + 480
    result = explain_forecast(model, wave_series, origin=dip - 1, sensor=3, step=2)
    assert result.drivers.iloc[0]["sensor_id"] in {"s2", "s3"}
    assert result.sensor == "s3"
    with pytest.raises(ValueError, match="step"):
        explain_forecast(model, wave_series, origin=100, sensor=0, step=9)


def test_sensor_map_is_written(tmp_path: Path, wave_series: SpeedSeries) -> None:
    """The map PNG exists and is a PNG."""
    locations = pd.DataFrame(
        {
            "latitude": np.linspace(34.0, 34.1, 6),
            "longitude": np.linspace(-118.3, -118.2, 6),
        }
    )
    path = draw_sensor_map(
        tmp_path / "map.png",
        locations,
        wave_series.speed[100],
        wave_series.speed[101],
        adjacency=wave_series.adjacency,
    )
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_gap_in_sensor_file_names_sensor_and_row() -> None:
    """A missing reading is refused with its sensor and 1-based row."""
    frame = pd.DataFrame(
        {"773869": [60.0, 61.0, 62.0, 63.0], "767541": [50.0, np.nan, 52.0, 53.0]},
        index=pd.date_range("2012-03-01", periods=4, freq="5min"),
    )
    with pytest.raises(ContractViolation, match="767541") as info:
        check_speed(frame, source="speed.csv")
    assert info.value.line == 2
    holes = frame.drop(frame.index[2]).fillna(51.0)
    with pytest.raises(ContractViolation, match="not regular"):
        check_speed(holes, source="speed.csv")
    zeros = frame.fillna(0.0)
    with pytest.raises(ContractViolation, match="767541"):
        check_speed(zeros, source="metr-la.h5", missing_zero=True)


def _write_dcrnn_h5(path: Path, frame: pd.DataFrame) -> None:
    import h5py  # type: ignore[import-untyped]

    with h5py.File(path, "w") as store:
        group = store.create_group("df")
        cols = np.array([c.encode() for c in frame.columns])
        group["axis0"] = cols
        group["axis1"] = (
            pd.DatetimeIndex(frame.index).as_unit("ns").asi8
        )  # ns, as pandas wrote it
        group["block0_items"] = cols
        group["block0_values"] = frame.to_numpy()


def test_dcrnn_h5_slice_is_read(tmp_path: Path) -> None:
    """A METR-LA-style h5 slice (pandas fixed format) reads back exactly."""
    frame = pd.DataFrame(
        np.arange(12.0).reshape(4, 3) + 40,
        index=pd.date_range("2012-03-01", periods=4, freq="5min"),
        columns=["773869", "767541", "767542"],
    )
    path = tmp_path / "metr-la.h5"
    _write_dcrnn_h5(path, frame)
    back = read_speed_h5(path)
    assert (back.index == frame.index).all()
    np.testing.assert_array_equal(back.to_numpy(), frame.to_numpy())
    assert list(back.columns) == list(frame.columns)
    bad = tmp_path / "not.h5"
    bad.write_text("nope")
    with pytest.raises(DataFormatError, match=r"not\.h5"):
        read_speed_h5(bad)
