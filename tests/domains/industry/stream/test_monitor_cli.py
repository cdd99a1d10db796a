"""``kiwerk monitor run`` on gateway frames: stores, checkpoints, finds no model.

The same run with the detectors in 2 shards, in-process and on Ray actors.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kiwerk.domains.industry.stream import (
    BrokerConfig,
    LineConfig,
    LineSimulator,
    LocalBroker,
    ModelConfig,
    MqttListener,
    read_readings,
    write_line_config,
)
from kiwerk.interfaces.cli.app import app
from tests.domains.industry.stream.test_live import recordings, wait_until

pytestmark = [pytest.mark.service, pytest.mark.slow]  # the registry takes ~20 s


@pytest.mark.parametrize(
    ("extra", "checkpoint"),
    [
        ((), "checkpoint.npz"),  # one scorer in this process
        (("--shards", "2"), "checkpoint.shard-0-of-2.npz"),  # in-process shards
        (("--ray", "local", "--shards", "2"), "checkpoint.shard-0-of-2.npz"),  # actors
    ],
)
@pytest.mark.usefixtures("cli_env")
def test_monitor_cli_on_gateway_frames(
    broker: LocalBroker, tmp_path: Path, extra: tuple[str, ...], checkpoint: str
) -> None:
    """The CLI stores every frame's readings, checkpoints and says it has no model."""
    sim = LineSimulator(
        recordings(3),
        BrokerConfig("127.0.0.1", broker.port, "sim"),
        speed=100,
        gateway_size=2,
    )
    base = sim.line_config()
    config = LineConfig(
        base.broker,
        base.machines,
        gateways=base.gateways,
        model=ModelConfig("industry-rul"),
    )
    write_line_config(config, tmp_path / "line.toml")
    store = tmp_path / "store"
    # the monitor's persistent session exists first: it queues the whole run
    session = MqttListener(config.broker, ["line/#"], lambda *a: None)
    session.start()
    assert wait_until(session.subscribed.is_set)
    session.stop()
    sim.run(ticks=150)
    args = ["monitor", "run", str(tmp_path / "line.toml"), "--store", str(store)]
    result = CliRunner().invoke(app, [*args, "--duration", "6", *extra])
    assert result.exit_code == 0, result.output
    assert "no production version of industry-rul" in result.output
    assert read_readings(store).num_rows == 150 * 3 * 4
    # m0, m1 and m2 all hash to shard 0 of 2
    assert sorted(p.name for p in store.glob("checkpoint*.npz")) == [checkpoint]
    if extra:
        assert "detectors in 2 shards" in result.output
