"""ONNX export of fitted models for edge scoring with onnxruntime alone.

Tree models go through onnxmltools (LightGBM) or skl2onnx (scikit-learn) and
neural networks through ``torch.onnx``. LightGBM compares features with
double-precision thresholds; the converters write them as float32, which
flips a split for values between the two roundings. :func:`lightgbm_to_onnx`
therefore rewrites every tree ensemble with the booster's own double
thresholds and leaf values (``ai.onnx.ml`` opset 3 ``*_as_tensor``
attributes) and takes double inputs, so ONNX and native scores agree to
float32 output precision.

An :class:`EdgeModel` pairs the graph with its *edge spec*: which request
columns feed which graph input (names, order, dtypes, allowed categories)
and which output columns each graph output holds. The spec travels inside
the ONNX file (``metadata_props["kiwerk.edge"]``) and beside it as JSON.
"""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from kiwerk.core.edge import EDGE_SPEC_KEY
from kiwerk.core.models._record import ModelRecord
from kiwerk.core.models._registry import ModelRegistry
from kiwerk.errors import ExportError

SPEC_FORMAT = "kiwerk-edge/1"
OPSET = 17
ML_OPSET = 3


@dataclass(frozen=True)
class EdgeModel:
    """An ONNX graph and the edge spec that maps request columns onto it.

    Parameters
    ----------
    model
        The ONNX graph.
    spec
        ``inputs``: list of ``{"name", "columns", "dtype"[, "categories"]}``;
        ``outputs``: list of ``{"name", "columns"}``; ``feature_step``: how
        raw rows become model features (``"in-graph"`` or a description).
    """

    model: onnx.ModelProto
    spec: dict[str, Any]

    def save(self, path: Path) -> Path:
        """Write ``path`` (ONNX, spec embedded) and ``path.json`` (the spec).

        Returns
        -------
        Path
            The spec file written beside the model.
        """
        spec = {"format": SPEC_FORMAT, **self.spec}
        text = json.dumps(spec, indent=2, sort_keys=True)
        model = onnx.ModelProto()
        model.CopyFrom(self.model)
        del model.metadata_props[:]
        model.metadata_props.append(
            onnx.StringStringEntryProto(key=EDGE_SPEC_KEY, value=text)
        )
        onnx.checker.check_model(model)
        path.parent.mkdir(parents=True, exist_ok=True)
        onnx.save_model(model, str(path))
        side = path.with_name(path.name + ".json")
        side.write_text(text + "\n", encoding="utf-8")
        return side


def _upgrade_node(node: onnx.NodeProto, thresholds: Any, weights: Any) -> None:
    """Swap float32 thresholds / leaf weights of one ensemble node for doubles."""
    attrs = {a.name: a for a in node.attribute}
    leaf = "class" if node.op_type == "TreeEnsembleClassifier" else "target"
    keys = zip(attrs["nodes_treeids"].ints, attrs["nodes_nodeids"].ints, strict=True)
    values = np.array([thresholds[k] for k in keys], dtype=np.float64)
    leaves = zip(
        attrs[f"{leaf}_treeids"].ints, attrs[f"{leaf}_nodeids"].ints, strict=True
    )
    leaf_values = np.array([weights[k] for k in leaves], dtype=np.float64)
    if not np.array_equal(
        values.astype(np.float32), np.array(attrs["nodes_values"].floats, np.float32)
    ):
        raise ExportError("LightGBM trees do not match the converter's node order")
    keep = [
        a for a in node.attribute if a.name not in ("nodes_values", f"{leaf}_weights")
    ]
    del node.attribute[:]
    node.attribute.extend(keep)
    node.attribute.append(
        helper.make_attribute("nodes_values_as_tensor", numpy_helper.from_array(values))
    )
    node.attribute.append(
        helper.make_attribute(
            f"{leaf}_weights_as_tensor", numpy_helper.from_array(leaf_values)
        )
    )


def lightgbm_to_onnx(
    estimator: Any, n_features: int, *, input_name: str = "features"
) -> onnx.ModelProto:
    """A LightGBM classifier or regressor as ONNX with double precision.

    The graph takes ``input_name`` as ``double [N, n_features]``; a binary
    classifier outputs ``label`` and ``probabilities`` ``[N, 2]``.
    """
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType
    from onnxmltools.convert.lightgbm.operator_converters.LightGbm import (
        _parse_tree_structure,
    )

    model: onnx.ModelProto = convert_lightgbm(
        estimator,
        initial_types=[(input_name, FloatTensorType([None, n_features]))],
        zipmap=False,
        target_opset=15,
    )
    thresholds: dict[tuple[int, int], float] = {}
    weights: dict[tuple[int, int], float] = {}
    for i, tree in enumerate(estimator.booster_.dump_model()["tree_info"]):
        attrs: defaultdict[str, list[Any]] = defaultdict(list)
        _parse_tree_structure(i, 0, 1.0, tree["tree_structure"], attrs)
        nodes = zip(attrs["nodes_treeids"], attrs["nodes_nodeids"], strict=True)
        thresholds.update(zip(nodes, map(float, attrs["nodes_values"]), strict=True))
        leaves = zip(attrs["class_treeids"], attrs["class_nodeids"], strict=True)
        weights.update(zip(leaves, map(float, attrs["class_weights"]), strict=True))
    for node in model.graph.node:
        if node.op_type in ("TreeEnsembleClassifier", "TreeEnsembleRegressor"):
            _upgrade_node(node, thresholds, weights)
    _set_opsets(model)
    model.graph.input[0].type.tensor_type.elem_type = onnx.TensorProto.DOUBLE
    return model


def _tree_based(estimator: Any) -> bool:
    steps = [s for _, s in getattr(estimator, "steps", [])] or [estimator]
    return any(
        type(s).__module__.startswith(("sklearn.tree", "sklearn.ensemble"))
        for s in steps
    )


def sklearn_to_onnx(
    estimator: Any, n_features: int, *, input_name: str = "features"
) -> onnx.ModelProto:
    """A fitted scikit-learn estimator or pipeline as ONNX.

    scikit-learn's trees compare float32 features, so tree models take float32
    inputs (as sklearn does internally); everything else takes doubles.
    """
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    kind = FloatTensorType if _tree_based(estimator) else DoubleTensorType
    options = {id(estimator): {"zipmap": False}}
    try:
        model: onnx.ModelProto = convert_sklearn(
            estimator,
            initial_types=[(input_name, kind([None, n_features]))],
            options=options if hasattr(estimator, "predict_proba") else None,
            target_opset={"": OPSET, "ai.onnx.ml": ML_OPSET},
        )
    except (RuntimeError, NameError, ValueError) as exc:
        raise ExportError(
            f"skl2onnx cannot convert {type(estimator).__name__}: {exc}"
        ) from exc
    return model


def torch_to_onnx(
    module: Any,
    example: Any,
    *,
    input_name: str = "input",
    output_names: tuple[str, ...] = ("output",),
) -> onnx.ModelProto:
    """A PyTorch module as ONNX (legacy TorchScript exporter; batch axis dynamic)."""
    import io

    import torch

    buffer = io.BytesIO()
    module.eval()
    with warnings.catch_warnings():
        # the legacy exporter announces its deprecation in favour of dynamo
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=UserWarning)
        torch.onnx.export(
            module,
            (example,),
            buffer,  # type: ignore[arg-type]  # file-like objects are accepted
            input_names=[input_name],
            output_names=list(output_names),
            dynamic_axes={n: {0: "batch"} for n in (input_name, *output_names)},
            opset_version=OPSET,
            dynamo=False,
        )
    return onnx.load_from_string(buffer.getvalue())


def _set_opsets(model: onnx.ModelProto) -> None:
    del model.opset_import[:]
    model.opset_import.extend(
        [helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)]
    )


def graph_model(
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    *,
    name: str,
    initializers: list[onnx.TensorProto] | None = None,
    parts: dict[str, onnx.ModelProto] | None = None,
    then: list[onnx.NodeProto] | None = None,
) -> onnx.ModelProto:
    """One ONNX model from hand-written nodes and converted sub-models.

    Each part's tensors get the prefix ``key + "/"``; its graph input must be
    produced by ``nodes`` under the prefixed name, and its outputs are read
    by the nodes of ``then`` under their prefixed names.
    """
    all_nodes = list(nodes)
    all_init = list(initializers or [])
    for prefix, part in (parts or {}).items():
        sub = onnx.compose.add_prefix(part, prefix + "/")
        all_nodes.extend(sub.graph.node)
        all_init.extend(sub.graph.initializer)
    all_nodes.extend(then or [])
    graph = helper.make_graph(all_nodes, name, inputs, outputs, all_init)
    model = helper.make_model(graph, producer_name="kiwerk")
    _set_opsets(model)
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model


def export_onnx(model: Any, n_features: int | None = None) -> EdgeModel:
    """The edge export of a fitted model.

    Models that know their own graph (with the feature step) implement
    ``to_onnx() -> EdgeModel``; plain LightGBM and scikit-learn estimators
    are converted with ``n_features`` unnamed double columns.

    Raises
    ------
    ExportError
        When the model has no ONNX export.
    """
    if hasattr(model, "to_onnx"):
        exported: EdgeModel = model.to_onnx()
        return exported
    names = getattr(model, "feature_names_in_", None)
    columns = [str(c) for c in names] if names is not None else None
    width = n_features or (len(columns) if columns else None)
    kind = type(model).__module__.split(".")[0]
    if width is None or kind not in ("lightgbm", "sklearn"):
        raise ExportError(f"{type(model).__name__} models have no ONNX export yet")
    convert = lightgbm_to_onnx if kind == "lightgbm" else sklearn_to_onnx
    graph = convert(model, width)
    columns = columns or [f"x{i}" for i in range(width)]
    elem = graph.graph.input[0].type.tensor_type.elem_type
    dtype = "float32" if elem == onnx.TensorProto.FLOAT else "float64"
    spec = {
        "inputs": [{"name": "features", "columns": columns, "dtype": dtype}],
        "outputs": [{"name": o.name, "columns": [o.name]} for o in graph.graph.output],
        "feature_step": "none: send the model's feature columns",
    }
    return EdgeModel(graph, spec)


def export_record(registry: ModelRegistry, record: ModelRecord) -> EdgeModel:
    """The edge export of a registered version, its name and version in the spec.

    Raises
    ------
    ExportError
        When the model has no ONNX export.
    """
    edge = export_onnx(registry.load(record))
    spec = {
        **edge.spec,
        "model": record.name,
        "version": record.version,
        "metrics": dict(record.metrics),
    }
    return EdgeModel(edge.model, spec)


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
