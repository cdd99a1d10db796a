"""Live machine monitoring: MQTT/OPC UA ingestion, line simulator, online scoring."""

from kiwerk.domains.industry.stream._skab import (
    SKAB_FAST_SENSORS,
    SKAB_SENSORS,
    SkabFile,
    SkabParams,
    SkabReport,
    evaluate_skab,
    read_skab,
    read_skab_file,
    run_online,
)

__all__ = [
    "SKAB_FAST_SENSORS",
    "SKAB_SENSORS",
    "SkabFile",
    "SkabParams",
    "SkabReport",
    "evaluate_skab",
    "read_skab",
    "read_skab_file",
    "run_online",
]
