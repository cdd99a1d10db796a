"""Each engine's RUL with its interval travels monitor → broker → dashboard feed.

A real mosquitto carries two synthetic engines whose messages carry their
cycle numbers; :func:`run_monitor` scores the registered RUL model per engine
and publishes the predictions on the ``[model]`` topic; a :class:`LineFeed`
(what the API serves the live page from) hears them.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kiwerk.core.monitor import MewmaParams
from kiwerk.core.serving import ServedModel
from kiwerk.domains.industry.rul._validate import COLUMNS
from kiwerk.domains.industry.stream import (
    BrokerConfig,
    LineFeed,
    LineSimulator,
    LocalBroker,
    ModelConfig,
    ModelScorer,
    ModelScoringParams,
    MonitorParams,
    Recording,
    load_line_config,
    run_monitor,
    write_line_config,
)
from tests.domains.industry.rul.conftest import make_fleet
from tests.domains.industry.stream.test_live import wait_until

pytestmark = pytest.mark.service
SENSORS = tuple(c for c in COLUMNS if c not in ("unit", "cycle"))
EVERY = 5


def engines() -> list[Recording]:
    """Engine e0 joins at cycle 21 of its life; e1 is replayed from cycle 1."""
    fleet = make_fleet(2, seed=7)
    runs = [g for _, g in fleet.groupby("unit")]
    runs[0] = runs[0].iloc[20:]
    return [
        Recording(
            f"e{i}",
            SENSORS,
            run[list(SENSORS)].to_numpy(np.float64),
            cycles=run["cycle"].to_numpy(np.float64),
        )
        for i, run in enumerate(runs)
    ]


def last_cycles(rec: Recording, ticks: int) -> list[float]:
    """The cycles of the engine's last ``EVERY`` readings after ``ticks`` ticks.

    The model is scored once at least ``EVERY`` readings came in since its
    last scoring (a batch may hold several), so its newest prediction is at
    one of them.
    """
    assert rec.cycles is not None
    sent = [rec.cycles[t % len(rec.cycles)] for t in range(ticks)]
    return [float(c) for c in sent[-EVERY:]]


def test_rul_with_its_interval_reaches_the_feed(
    broker: LocalBroker, served: ServedModel, tmp_path: Path
) -> None:
    """The feed holds each engine's newest RUL, inside its interval, at its cycle."""
    recs = engines()
    broker_config = BrokerConfig("127.0.0.1", broker.port, "sim")
    sim = LineSimulator(recs, broker_config, speed=50)  # 50 cycles a second
    params = ModelScoringParams(every=EVERY, window=30)
    line = replace(sim.line_config(), model=ModelConfig("industry-rul", params=params))
    write_line_config(line, tmp_path / "line.toml")
    line = load_line_config(tmp_path / "line.toml")  # the topic survives the file
    assert line.model is not None
    assert line.model.topic == "kiwerk/predictions"
    feed = LineFeed(line).start()
    assert feed.subscribed.wait(10)
    scorer = ModelScorer(served, line.machine_names(), [list(SENSORS)] * 2, params)
    ticks = max(len(r.values) for r in recs) + 12  # the shorter engine starts over
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=run_monitor,
        args=(line, tmp_path / "store"),
        kwargs={
            "params": MonitorParams(detector=MewmaParams(n_fit=20, off_count=5)),
            "stop": stop,
            "ready": ready,
            "model": scorer,
        },
    )
    thread.start()
    try:
        assert ready.wait(15)
        sim.run(ticks=ticks)
        expected = {r.machine: last_cycles(r, ticks) for r in recs}

        def arrived() -> bool:
            found = {m["name"]: m["prediction"] for m in feed.machines()}
            return all(
                p is not None and p["cycle"] in expected[name]
                for name, p in found.items()
            )

        assert wait_until(arrived), [m["prediction"] for m in feed.machines()]
    finally:
        stop.set()
        thread.join(timeout=30)
        feed.stop()
    for m in feed.machines():
        p = m["prediction"]
        assert p["kind"] == "rul"
        assert p["rul_lower"] <= p["rul"] <= p["rul_upper"]
        assert p["rul_upper"] > p["rul_lower"]  # an interval, not a point
        assert p["model_version"] == served.record.version
    events = feed.events_since(0)
    assert events is not None
    seen = [e.body for e in events if e.kind == "prediction"]
    assert {p["machine"] for p in seen} == {"e0", "e1"}
    # e0 joined at cycle 21: its first prediction is at its 5th reading or later
    assert next(p["cycle"] for p in seen if p["machine"] == "e0") >= 20 + EVERY
    # both replays started over: the newest cycles are those of the new lives
    assert max(expected["e1"]) <= 12 < len(recs[1].values)
