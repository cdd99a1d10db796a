"""Response bodies of the domain views (live line, fleet, X-ray, mobility)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SensorShare(_Out):
    """One sensor's share of an alert's score."""

    sensor: str
    share: float


class LineAlert(_Out):
    """An alert of the stream monitor, with its reasons."""

    machine: str
    time: float = Field(description="Timestamp of the reading (epoch seconds).")
    kind: str = Field(examples=["anomaly", "sensor_drift"])
    score: float
    threshold: float
    sensors: list[SensorShare]
    action: str


class MachineState(_Out):
    """A machine of the line: its sensors and newest reading."""

    name: str
    sensors: list[str]
    ts: float | None
    values: list[float | None] | None
    readings: int = Field(description="Readings heard since the API started.")
    alerts: int = Field(description="Alerts kept for this machine.")
    prediction: dict[str, str | float] | None = Field(
        default=None,
        description="The registered model's newest prediction: machine, ts, "
        "cycle, kind (rul or failure_risk), rul with rul_lower and rul_upper "
        "(the 90 % interval) or failure_probability, and model_version.",
    )
    history: list[tuple[float, list[float | None]]] = Field(
        default_factory=list, description="Recent readings, oldest first (?history=)."
    )


class LinePublic(_Out):
    """The live line as the API hears it."""

    org: str
    connected: bool
    broker: str
    alert_topic: str | None
    seq: int = Field(description="Number of the newest event (for /line/stream).")
    machines: list[MachineState]


class MachineHistory(_Out):
    """A machine's kept readings, oldest first."""

    name: str
    sensors: list[str]
    ts: list[float]
    values: list[list[float | None]]
    alerts: list[LineAlert]


class RulEngine(_Out):
    """One engine's RUL estimate with its conformal interval."""

    unit: int
    cycle: int = Field(description="Last observed cycle.")
    estimate: float
    lower: float
    upper: float
    truth: float | None = Field(description="True RUL where the data set has it.")


class PolicyPublic(_Out):
    """One maintenance policy's totals over the fleet."""

    policy: str
    cost: float
    downtime_h: float
    failures: int
    planned: int
    lost_life: float
    failures_avoided: int


class FleetPublic(_Out):
    """The fleet's RUL view and the maintenance-policy comparison."""

    model: str
    version: int
    alpha: float
    coverage: float = Field(description="Share of true RULs inside the interval.")
    engines: list[RulEngine]
    policies: list[PolicyPublic]
    best_interval: int
    saving: float
    saving_share: float


class XrayCase(_Out):
    """The triage of one X-ray of the test split."""

    index: int
    label: int = Field(description="The data set's label: 1 pneumonia, 0 normal.")
    model: str
    version: int
    probability: float = Field(description="Calibrated probability of pneumonia.")
    threshold: float
    decision: str = Field(examples=["pneumonia", "normal", "refer", "refused"])
    abstain: bool = Field(description="Routed to a radiologist (refer or refused).")
    image_url: str
    overlay_url: str
    reviews: list[dict[str, Any]]


class XrayReviewCreate(BaseModel):
    """A radiologist's confirmation or override of a triage decision."""

    verdict: str = Field(pattern=r"^(confirm|override)$")
    finding: str | None = Field(
        default=None,
        pattern=r"^(pneumonia|normal)$",
        description="The radiologist's finding; required to override.",
    )
    note: str = Field(default="", max_length=500)


class XrayReviewPublic(_Out):
    """A recorded review (its audit-log entry)."""

    index: int
    verdict: str
    finding: str
    model_decision: str
    actor: str
    seq: int


class SensorForecast(_Out):
    """Forecast vs actual speed of one sensor at one horizon."""

    sensor: str
    horizon_min: int
    model: str
    version: int
    ts: list[float]
    actual: list[float | None]
    forecast: list[float | None]
    rmse: float
    mae: float


class SignalRow(_Out):
    """One controller's average trip delay on one scenario."""

    scenario: str
    controller: str
    delay_s: float
    vehicles: int
    seeds: int
    duration_s: float


class SignalTable(_Out):
    """The latest signal-control comparison."""

    rows: list[SignalRow]
    recorded: str | None
