"""ONNX export of fitted models for the edge (needs the ``edge`` extra)."""

from kiwerk.core.models.onnx._export import (
    EDGE_SPEC_KEY,
    EdgeModel,
    export_onnx,
    export_record,
    graph_model,
    lightgbm_to_onnx,
    sklearn_to_onnx,
    torch_to_onnx,
)

__all__ = [
    "EDGE_SPEC_KEY",
    "EdgeModel",
    "export_onnx",
    "export_record",
    "graph_model",
    "lightgbm_to_onnx",
    "sklearn_to_onnx",
    "torch_to_onnx",
]
