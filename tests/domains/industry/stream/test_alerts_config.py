"""Alert de-duplication and rate limits; the line configuration file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiwerk.domains.industry.stream import (
    AlertRouter,
    LineConfig,
    load_line_config,
    make_alert,
    parse_line_config,
    write_line_config,
)
from kiwerk.errors import ConfigError


class Clock:
    """A hand-driven clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _alert(machine: str = "m1", kind: str = "anomaly") -> Any:
    return make_alert(machine, 1.0, kind, 50.0, 10.0, (("temp", 0.8), ("rpm", 0.2)))


def test_alert_carries_reasons_and_action() -> None:
    """An alert names machine, time, score, sensors and a concrete action."""
    a = _alert()
    assert "temp" in a.action
    assert '"share": 0.8' in a.to_json()
    assert make_alert(
        "m1", 1.0, "sensor_drift", 1, 1, (("temp", 1.0),)
    ).action.startswith("Recalibrate")


def test_router_deduplicates_per_machine_and_kind() -> None:
    """A repeat within min_interval_s is dropped; another kind or machine is not."""
    clock = Clock()
    published: list[tuple[str, str]] = []
    router = AlertRouter(
        publish=lambda t, p: published.append((t, p)), min_interval_s=60, clock=clock
    )
    assert router.send(_alert())
    assert not router.send(_alert())
    assert router.send(_alert(kind="sensor_drift"))
    assert router.send(_alert(machine="m2"))
    clock.now = 61.0
    assert router.send(_alert())
    assert router.deduplicated == 1
    assert len(published) == 4
    assert all(t == "kiwerk/alerts" for t, _ in published)


def test_router_rate_limits_alert_storms() -> None:
    """At most max_per_minute alerts in any minute; the rest are counted."""
    clock = Clock()
    router = AlertRouter(publish=None, min_interval_s=0, max_per_minute=5, clock=clock)
    sent = [router.send(_alert(machine=f"m{i}")) for i in range(20)]
    assert sum(sent) == 5
    assert router.rate_limited == 15
    clock.now = 60.0
    assert router.send(_alert(machine="late"))


def test_webhook_failure_does_not_stop_alerts() -> None:
    """An unreachable webhook is logged and counted; the router keeps going."""
    router = AlertRouter(
        publish=None, webhook="http://127.0.0.1:9/none", min_interval_s=0
    )
    assert router.send(_alert())
    router.close()
    assert router.webhook is not None
    assert router.webhook.failed == 1


def test_line_config_round_trip(tmp_path: Path) -> None:
    """write_line_config output loads back to the same configuration."""
    config = parse_line_config(
        {
            "broker": {"port": 1884, "client_id": "mon", "subscribe": ["line/#"]},
            "machines": [
                {"name": "p1", "topic": "line/p1", "sensors": ["a", "b"]},
                {"name": "p2", "sensors": ["a", "b"]},
            ],
            "opcua": [
                {
                    "endpoint": "opc.tcp://h:4840/",
                    "machine": "x",
                    "nodes": {"n1": "a", "n2": "b"},
                }
            ],
            "alerts": {"webhook": "http://127.0.0.1/hook", "max_per_minute": 5},
        }
    )
    path = tmp_path / "line.toml"
    write_line_config(config, path)
    again = load_line_config(path)
    assert again == config
    assert isinstance(again, LineConfig)
    assert again.machines[1].topic == "line/p2"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"machines": []}, "no \\[\\[machines\\]\\]"),  # nothing to listen to
        ({"machines": [{"name": "a"}]}, "machines\\[0\\]: missing key 'sensors'"),
        ({"machines": [{"name": "a", "sensors": []}]}, "non-empty"),
        ({"machines": [{"name": "a", "topic": "l/+", "sensors": ["s"]}]}, "wildcards"),
        (
            {
                "machines": [
                    {"name": "a", "sensors": ["s"]},
                    {"name": "a", "sensors": ["s"]},
                ]
            },
            "used twice",
        ),
        (
            {
                "machines": [
                    {"name": "a", "sensors": ["s"]},
                    {"name": "b", "sensors": ["s", "t"]},
                ]
            },
            "same number of sensors",
        ),
    ],
)
def test_bad_line_config_is_refused_with_the_place(
    data: dict[str, Any], message: str
) -> None:
    """Bad configurations raise ConfigError naming the entry."""
    with pytest.raises(ConfigError, match=message):
        parse_line_config(data, "line.toml")


def test_unreadable_toml_names_the_file(tmp_path: Path) -> None:
    """A TOML syntax error names the file."""
    path = tmp_path / "bad.toml"
    path.write_text("[broker\nport = 1")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_line_config(path)
