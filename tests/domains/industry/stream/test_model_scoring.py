"""The registered RUL model scored per machine in the stream; alerts carry it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kiwerk.core.monitor import MewmaParams
from kiwerk.core.serving import ServedModel
from kiwerk.domains.industry.rul._validate import COLUMNS
from kiwerk.domains.industry.stream import (
    AlertRouter,
    BrokerConfig,
    LineConfig,
    LineMonitor,
    MachineConfig,
    ModelScorer,
    ModelScoringParams,
    MonitorParams,
    ParquetSink,
    load_line_config,
    parse_line_config,
    write_line_config,
)
from kiwerk.errors import ConfigError
from tests.domains.industry.rul.conftest import make_fleet

SENSORS = [c for c in COLUMNS if c not in ("unit", "cycle")]


def engines(n: int) -> list[pd.DataFrame]:
    """n synthetic engines (other seed than training) to replay."""
    fleet = make_fleet(n, seed=7)
    return [g for _, g in fleet.groupby("unit")]


def line(n: int) -> LineConfig:
    """n engines sending the 24 C-MAPSS settings and sensors as JSON."""
    return LineConfig(
        BrokerConfig(),
        tuple(MachineConfig(f"e{i}", f"line/e{i}", tuple(SENSORS)) for i in range(n)),
    )


def test_monitor_scores_the_registered_rul_model_per_machine(
    served: ServedModel, tmp_path: Path
) -> None:
    """Each engine gets RUL estimates; near its end an rul alert with interval fires."""
    runs = engines(2)
    config = line(2)
    router = AlertRouter(publish=None, topic=None, max_per_minute=1000)

    def start() -> LineMonitor:
        scorer = ModelScorer(
            served,
            config.machine_names(),
            [list(SENSORS)] * 2,
            ModelScoringParams(every=5, window=30, rul_below=15.0),
        )
        return LineMonitor(
            config,
            ParquetSink(tmp_path / "store"),
            MonitorParams(detector=MewmaParams(n_fit=20, off_count=5)),
            router,
            checkpoint=tmp_path / "ck.npz",
            model=scorer,
        )

    monitor = start()
    scorer = monitor.model
    assert scorer is not None
    for i, run in enumerate(runs):
        for _, row in run.iterrows():
            body = {"ts": float(row["cycle"]), "values": row[SENSORS].tolist()}
            monitor.handle(f"line/e{i}", json.dumps(body).encode())
            monitor.process()
    monitor.close()
    assert (scorer.count_ == [len(r) for r in runs]).all()
    # a restarted monitor keeps the windows and cycle counts (checkpoint)
    again = start().model
    assert again is not None
    assert (again.count_ == scorer.count_).all()
    np.testing.assert_array_equal(again.latest_, scorer.latest_)
    rul = [a for a in router.delivered if a.kind == "rul"]
    assert {a.machine for a in rul} == {"e0", "e1"}
    for a in rul:
        pred = dict(a.prediction)
        assert pred["rul_lower"] <= pred["rul"] <= pred["rul_upper"]
        assert pred["rul_lower"] < 15.0
        assert pred["model_version"] == served.record.version
        life = len(runs[int(a.machine[1:])])
        assert a.time > life / 2  # raised late in the engine's life, not at once
        assert a.sensors
        assert "Plan maintenance of" in a.action
        assert json.loads(a.to_json())["prediction"]["rul"] == pred["rul"]
    # the detector's alerts carry the machine's newest RUL as well
    others = [a for a in router.delivered if a.kind != "rul" and a.prediction]
    assert all("rul_upper" in dict(a.prediction) for a in others)
    final = scorer.latest_[:, 0]
    assert np.isfinite(final).all()
    assert (final < 30).all()  # both engines end worn out


def test_model_needs_its_input_columns(served: ServedModel) -> None:
    """A machine that lacks model inputs is a config error naming the columns."""
    with pytest.raises(ConfigError, match=r"machine m: .*needs \['s_21'"):
        ModelScorer(served, ["m"], [SENSORS[:-1]])


def test_model_section_round_trips(tmp_path: Path) -> None:
    """The [model] section survives writing and reading the line config."""
    data = {
        "machines": [{"name": "a", "sensors": ["x"]}],
        "model": {"pilot": "industry-failure", "every": 3, "constants": {"Type": "M"}},
    }
    config = parse_line_config(data)
    assert config.model is not None
    assert config.model.params.constants == (("Type", "M"),)
    write_line_config(config, tmp_path / "line.toml")
    assert load_line_config(tmp_path / "line.toml").model == config.model
    data["model"] = {"pilot": "industry-rul", "every": 0}
    with pytest.raises(ConfigError, match="model: Expected every >= 1"):
        parse_line_config(data)
