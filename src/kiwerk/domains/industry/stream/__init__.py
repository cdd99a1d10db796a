"""Live machine monitoring: MQTT/OPC UA ingestion, line simulator, online scoring."""

from kiwerk.domains.industry.stream._alerts import Alert, AlertRouter, make_alert
from kiwerk.domains.industry.stream._broker import LocalBroker, free_port
from kiwerk.domains.industry.stream._config import (
    AlertConfig,
    BrokerConfig,
    GatewayConfig,
    LineConfig,
    MachineConfig,
    ModelConfig,
    OpcuaSource,
    load_line_config,
    parse_line_config,
)
from kiwerk.domains.industry.stream._feed import FeedEvent, LineFeed
from kiwerk.domains.industry.stream._frames import (
    decode_frame,
    encode_frame,
    frame_dtype,
)
from kiwerk.domains.industry.stream._model_scoring import (
    ModelScorer,
    ModelScoringParams,
    load_stream_model,
)
from kiwerk.domains.industry.stream._monitor import LineMonitor
from kiwerk.domains.industry.stream._monitor_params import MonitorParams, MonitorStats
from kiwerk.domains.industry.stream._mqtt import (
    MqttListener,
    connect,
    make_client,
    run_listener,
)
from kiwerk.domains.industry.stream._pool_sink import PoolSink
from kiwerk.domains.industry.stream._run import run_monitor, write_line_config
from kiwerk.domains.industry.stream._scorer import (
    ScoreBatchResult,
    ScoreEvent,
    StreamScorer,
)
from kiwerk.domains.industry.stream._sharded import ShardedStreamScorer
from kiwerk.domains.industry.stream._simulator import (
    Fault,
    LineSimulator,
    Recording,
    SimulatorReport,
    cmapss_recordings,
    cwru_recordings,
    skab_recordings,
)
from kiwerk.domains.industry.stream._sink import (
    ParquetSink,
    ReadingSink,
    read_readings,
    readings_table,
)
from kiwerk.domains.industry.stream._skab import (
    SkabFile,
    SkabParams,
    SkabReport,
    evaluate_skab,
    read_skab,
    read_skab_file,
    run_online,
)

__all__ = [
    "Alert",
    "AlertConfig",
    "AlertRouter",
    "BrokerConfig",
    "Fault",
    "FeedEvent",
    "GatewayConfig",
    "LineConfig",
    "LineFeed",
    "LineMonitor",
    "LineSimulator",
    "LocalBroker",
    "MachineConfig",
    "ModelConfig",
    "ModelScorer",
    "ModelScoringParams",
    "MonitorParams",
    "MonitorStats",
    "MqttListener",
    "OpcuaSource",
    "ParquetSink",
    "PoolSink",
    "ReadingSink",
    "Recording",
    "ScoreBatchResult",
    "ScoreEvent",
    "ShardedStreamScorer",
    "SimulatorReport",
    "SkabFile",
    "SkabParams",
    "SkabReport",
    "StreamScorer",
    "cmapss_recordings",
    "connect",
    "cwru_recordings",
    "decode_frame",
    "encode_frame",
    "evaluate_skab",
    "frame_dtype",
    "free_port",
    "load_line_config",
    "load_stream_model",
    "make_alert",
    "make_client",
    "parse_line_config",
    "read_readings",
    "read_skab",
    "read_skab_file",
    "readings_table",
    "run_listener",
    "run_monitor",
    "run_online",
    "skab_recordings",
    "write_line_config",
]
