"""The line configuration: broker, topic/node → machine/sensor mapping, alerts.

A TOML file such as::

    [broker]
    host = "127.0.0.1"
    port = 1883
    client_id = "kiwerk-monitor"

    [[machines]]
    name = "pump-1"
    topic = "line/pump-1"
    sensors = ["vibration", "current", "pressure"]

    [[opcua]]
    endpoint = "opc.tcp://127.0.0.1:4840/kiwerk/"
    machine = "press-1"
    nodes = { "ns=2;s=press-1.force" = "force", "ns=2;s=press-1.temp" = "temp" }

    [[gateways]]
    topic = "line/gw-1"
    payload = "kiwerk-frame-v1"
    machines = ["pump-1"]

    [alerts]
    topic = "kiwerk/alerts"
    webhook = "http://127.0.0.1:8080/hook"

    [model]                      # optional: the pilot's registered model
    pilot = "industry-rul"       # or "industry-failure"
    ref = "production"
    every = 10
    window = 60
    rul_below = 30.0
    constants = { }              # e.g. { "Type" = "M" } for industry-failure
    topic = "kiwerk/predictions" # each scoring pass's predictions, for dashboards

Payload formats:

- ``json`` (a machine's own topic): one machine's whole sensor vector,
  ``{"ts": <epoch seconds>, "values": [...]}`` in the order of ``sensors``
  (or an object ``{"sensor": value}``), optionally with ``"cycle"``, an
  engine's cycle number, for the RUL model.
- ``kiwerk-frame-v1`` (a ``[[gateways]]`` topic): a binary frame of many
  timestamped vectors of the gateway's ``machines`` (see
  :mod:`kiwerk.domains.industry.stream._frames`); the fast path for
  gateways that collect a cell of machines.

OPC UA nodes each carry one sensor.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiwerk.domains.industry.stream._model_scoring import ModelScoringParams
from kiwerk.errors import ConfigError


@dataclass(frozen=True)
class BrokerConfig:
    """Where the MQTT broker is and who we are to it.

    ``subscribe`` lists topic filters to listen to (e.g. ``line/#``, so that
    messages on unknown topics are seen and counted); by default the
    machines' own topics.
    """

    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "kiwerk-monitor"
    keepalive: int = 30
    subscribe: tuple[str, ...] = ()


@dataclass(frozen=True)
class MachineConfig:
    """One machine: its MQTT topic and its sensors in message order."""

    name: str
    topic: str
    sensors: tuple[str, ...]


@dataclass(frozen=True)
class GatewayConfig:
    """One gateway topic carrying ``kiwerk-frame-v1`` frames of ``machines``."""

    topic: str
    machines: tuple[str, ...]
    payload: str = "kiwerk-frame-v1"


@dataclass(frozen=True)
class OpcuaSource:
    """One OPC UA server: node id → sensor of one machine."""

    endpoint: str
    machine: str
    nodes: dict[str, str]


@dataclass(frozen=True)
class AlertConfig:
    """Where alerts go and how often at most."""

    topic: str | None = "kiwerk/alerts"
    webhook: str | None = None
    min_interval_s: float = 60.0
    max_per_minute: int = 60


@dataclass(frozen=True)
class ModelConfig:
    """Which registered model to score in the stream, and how."""

    pilot: str
    ref: str = "production"
    params: ModelScoringParams = field(default_factory=ModelScoringParams)
    topic: str | None = "kiwerk/predictions"


@dataclass(frozen=True)
class LineConfig:
    """A production line as kiwerk listens to it."""

    broker: BrokerConfig
    machines: tuple[MachineConfig, ...]
    opcua: tuple[OpcuaSource, ...] = ()
    alerts: AlertConfig = field(default_factory=AlertConfig)
    gateways: tuple[GatewayConfig, ...] = ()
    model: ModelConfig | None = None

    def __post_init__(self) -> None:
        self._check_gateways()
        names = [m.name for m in self.machines] + [s.machine for s in self.opcua]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ConfigError(f"machine names used twice: {sorted(dup)}")
        topics = [m.topic for m in self.machines]
        if len(set(topics)) != len(topics):
            raise ConfigError("two machines share one MQTT topic")
        sizes = {len(m.sensors) for m in self.machines} | {
            len(s.nodes) for s in self.opcua
        }
        if len(sizes) > 1:
            raise ConfigError(
                "every machine must have the same number of sensors "
                f"(found {sorted(sizes)}); run one monitor per machine type"
            )

    def _check_gateways(self) -> None:
        known = {m.name for m in self.machines}
        own = {m.topic for m in self.machines}
        for g in self.gateways:
            if g.payload != "kiwerk-frame-v1":
                raise ConfigError(
                    f"gateway {g.topic}: unknown payload {g.payload!r} "
                    "(expected 'kiwerk-frame-v1')"
                )
            if g.topic in own:
                raise ConfigError(f"gateway topic {g.topic} is also a machine's topic")
            unknown = sorted(set(g.machines) - known)
            if unknown or not g.machines:
                raise ConfigError(
                    f"gateway {g.topic}: machines must be [[machines]] names; "
                    f"unknown: {unknown}"
                )
            if len(g.machines) > 65_535:
                raise ConfigError(f"gateway {g.topic}: more than 65,535 machines")
        topics = [g.topic for g in self.gateways]
        if len(set(topics)) != len(topics):
            raise ConfigError("two gateways share one MQTT topic")

    @property
    def n_sensors(self) -> int:
        """Sensors per machine."""
        if self.machines:
            return len(self.machines[0].sensors)
        return len(self.opcua[0].nodes) if self.opcua else 0

    def machine_names(self) -> list[str]:
        """Every machine, MQTT ones first, in config order."""
        return [m.name for m in self.machines] + [s.machine for s in self.opcua]


def _get(table: dict[str, Any], key: str, kind: type, source: str) -> Any:
    if key not in table:
        raise ConfigError(f"{source}: missing key {key!r}")
    value = table[key]
    if not isinstance(value, kind):
        raise ConfigError(f"{source}: {key!r} must be a {kind.__name__}")
    return value


def parse_line_config(data: dict[str, Any], source: str = "config") -> LineConfig:
    """Build a :class:`LineConfig` from parsed TOML, naming the bad entry."""
    b = data.get("broker", {})
    broker = BrokerConfig(
        host=str(b.get("host", "127.0.0.1")),
        port=int(b.get("port", 1883)),
        client_id=str(b.get("client_id", "kiwerk-monitor")),
        keepalive=int(b.get("keepalive", 30)),
        subscribe=tuple(str(t) for t in b.get("subscribe", ())),
    )
    machines = []
    for i, m in enumerate(data.get("machines", [])):
        where = f"{source}: machines[{i}]"
        sensors = _get(m, "sensors", list, where)
        if not sensors or not all(isinstance(s, str) for s in sensors):
            raise ConfigError(f"{where}: 'sensors' must be a non-empty list of names")
        name = _get(m, "name", str, where)
        topic = str(m.get("topic", f"line/{name}"))
        if any(c in topic for c in "+#"):
            raise ConfigError(f"{where}: topic {topic!r} may not hold wildcards")
        machines.append(MachineConfig(name, topic, tuple(sensors)))
    opcua = []
    for i, o in enumerate(data.get("opcua", [])):
        where = f"{source}: opcua[{i}]"
        nodes = _get(o, "nodes", dict, where)
        opcua.append(
            OpcuaSource(
                _get(o, "endpoint", str, where),
                _get(o, "machine", str, where),
                {str(k): str(v) for k, v in nodes.items()},
            )
        )
    gateways = []
    for i, g in enumerate(data.get("gateways", [])):
        where = f"{source}: gateways[{i}]"
        names = _get(g, "machines", list, where)
        gateways.append(
            GatewayConfig(
                _get(g, "topic", str, where),
                tuple(str(n) for n in names),
                str(g.get("payload", "kiwerk-frame-v1")),
            )
        )
    model = _model(data["model"], f"{source}: model") if "model" in data else None
    a = data.get("alerts", {})
    alerts = AlertConfig(
        topic=a.get("topic", "kiwerk/alerts"),
        webhook=a.get("webhook"),
        min_interval_s=float(a.get("min_interval_s", 60.0)),
        max_per_minute=int(a.get("max_per_minute", 60)),
    )
    if not machines and not opcua:
        raise ConfigError(f"{source}: no [[machines]] and no [[opcua]] sources")
    return LineConfig(
        broker, tuple(machines), tuple(opcua), alerts, tuple(gateways), model
    )


def _model(m: dict[str, Any], where: str) -> ModelConfig:
    constants = _get(m, "constants", dict, where) if "constants" in m else {}
    try:
        params = ModelScoringParams(
            every=int(m.get("every", 10)),
            window=int(m.get("window", 60)),
            rul_below=float(m.get("rul_below", 30.0)),
            failure_above=float(m.get("failure_above", 0.5)),
            constants=tuple((str(k), v) for k, v in constants.items()),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    topic = _get(m, "topic", str, where) if "topic" in m else "kiwerk/predictions"
    return ModelConfig(
        _get(m, "pilot", str, where),
        str(m.get("ref", "production")),
        params,
        topic or None,
    )


def load_line_config(path: Path) -> LineConfig:
    """Read a line configuration TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read line config {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_line_config(data, str(path))


__all__ = [
    "AlertConfig",
    "BrokerConfig",
    "GatewayConfig",
    "LineConfig",
    "MachineConfig",
    "ModelConfig",
    "OpcuaSource",
    "load_line_config",
    "parse_line_config",
]
