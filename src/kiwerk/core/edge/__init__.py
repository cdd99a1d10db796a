"""The edge runner: score exported ONNX models with onnxruntime alone.

This package imports only the standard library, numpy, onnxruntime and (for
MQTT) paho-mqtt — never pandas, scikit-learn, LightGBM, torch or MLflow — so
it runs on a device where only ``kiwerk[edge]``'s runtime is installed. A
test imports it with the training stack blocked.
"""

from kiwerk.core.edge._mqtt import MqttParams, serve_mqtt
from kiwerk.core.edge._runner import EdgeRunner, parse_row, read_rows
from kiwerk.core.edge._spec import EDGE_SPEC_KEY, EdgeInput, EdgeSpec

__all__ = [
    "EDGE_SPEC_KEY",
    "EdgeInput",
    "EdgeRunner",
    "EdgeSpec",
    "MqttParams",
    "parse_row",
    "read_rows",
    "serve_mqtt",
]
