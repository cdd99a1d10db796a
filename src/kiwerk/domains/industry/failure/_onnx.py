"""The AI4I failure model as one ONNX graph, physics features included.

The edge sends raw rows: ``Type`` (a string, L/M/H) and the five process
measurements as ``double [N, 5]``. The graph computes
:func:`~kiwerk.domains.industry.failure.physics_features` in double precision
with the same operations in the same order as pandas, runs the four mode
classifiers (double thresholds, see
:func:`~kiwerk.core.models.onnx.lightgbm_to_onnx`) and combines them exactly
as :func:`~kiwerk.domains.industry.failure.predict_failure` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from onnx import NodeProto, TensorProto, helper, numpy_helper

from kiwerk.core.models.onnx import EdgeModel, graph_model, lightgbm_to_onnx
from kiwerk.domains.industry.failure._features import (
    FEATURES,
    OVERSTRAIN_LIMIT,
    PROCESS_COLUMNS,
    TYPES,
)
from kiwerk.domains.industry.failure._model import MODES

if TYPE_CHECKING:
    from kiwerk.domains.industry.failure._model import FailureModel

_D = TensorProto.DOUBLE


def _const(name: str, value: object, dtype: type = np.float64) -> TensorProto:
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def _feature_nodes() -> tuple[list[NodeProto], list[TensorProto]]:
    """Nodes computing ``features [N, 10]`` from ``Type`` and ``process``."""
    n = helper.make_node
    nodes = [
        n(
            "LabelEncoder",
            ["Type"],
            ["quality32"],
            domain="ai.onnx.ml",
            keys_strings=list(TYPES),
            values_floats=[float(i) for i in range(len(TYPES))],
            default_float=float("nan"),
        ),
        n(
            "LabelEncoder",
            ["Type"],
            ["limit32"],
            domain="ai.onnx.ml",
            keys_strings=list(TYPES),
            values_floats=[OVERSTRAIN_LIMIT[t] for t in TYPES],
            default_float=float("nan"),
        ),
        n("Cast", ["quality32"], ["quality"], to=_D),
        n("Cast", ["limit32"], ["limit"], to=_D),
        n(
            "Split",
            ["process", "ones5"],
            ["air", "proc", "speed", "torque", "wear"],
            axis=1,
        ),
        # (torque * speed * 2.0 * pi / 60.0), left to right as in pandas
        n("Mul", ["torque", "speed"], ["ts"]),
        n("Mul", ["ts", "two"], ["ts2"]),
        n("Mul", ["ts2", "pi"], ["ts2pi"]),
        n("Div", ["ts2pi", "sixty"], ["power"]),
        n("Sub", ["proc", "air"], ["temp_diff"]),
        n("Mul", ["wear", "torque"], ["strain"]),
        n("Div", ["strain", "limit"], ["overstrain"]),
        n(
            "Concat",
            [
                "quality",
                "air",
                "proc",
                "speed",
                "torque",
                "wear",
                "power",
                "temp_diff",
                "strain",
                "overstrain",
            ],
            ["features"],
            axis=1,
        ),
    ]
    init = [
        _const("ones5", [1] * len(PROCESS_COLUMNS), np.int64),
        _const("two", 2.0),
        _const("pi", np.pi),
        _const("sixty", 60.0),
    ]
    return nodes, init


def _combine_nodes(threshold: float) -> tuple[list[NodeProto], list[TensorProto]]:
    """Nodes turning the four mode probabilities into the prediction table."""
    n = helper.make_node
    nodes: list[NodeProto] = []
    for mode in MODES:
        nodes.append(
            n("Slice", [f"{mode}/probabilities", "one", "two_i", "one"], [f"p_{mode}"])
        )
    nodes += [
        n("Concat", [f"p_{m}" for m in MODES], ["modes32"], axis=1),
        n("Cast", ["modes32"], ["mode_probabilities"], to=_D),
        n("Sub", ["one_d", "mode_probabilities"], ["survive"]),
        n("ReduceProd", ["survive"], ["survive_all"], axes=[1], keepdims=0),
        n("Sub", ["one_d", "survive_all"], ["failure_probability"]),
        n("GreaterOrEqual", ["failure_probability", "threshold"], ["alarm"]),
        n("Cast", ["alarm"], ["failure"], to=TensorProto.INT64),
        n("ArgMax", ["mode_probabilities"], ["likely"], axis=1, keepdims=0),
        n(
            "LabelEncoder",
            ["likely"],
            ["likely_name"],
            domain="ai.onnx.ml",
            keys_int64s=list(range(len(MODES))),
            values_strings=list(MODES),
        ),
        n("Where", ["alarm", "likely_name", "none"], ["failure_type"]),
    ]
    init = [
        _const("one", [1], np.int64),
        _const("two_i", [2], np.int64),
        _const("one_d", 1.0),
        _const("threshold", threshold),
        numpy_helper.from_array(np.array(["none"], dtype=object), "none"),
    ]
    return nodes, init


def failure_to_onnx(model: FailureModel) -> EdgeModel:
    """The fitted model, features included, as an :class:`EdgeModel`.

    Outputs match :func:`~kiwerk.domains.industry.failure.predict_failure`:
    ``failure_probability``, ``failure``, ``failure_type`` and the per-mode
    probabilities ``p_TWF`` … ``p_OSF``.
    """
    if list(model.features_) != list(FEATURES):
        raise ValueError(f"Expected features {list(FEATURES)}, got {model.features_}.")
    features, f_init = _feature_nodes()
    combine, c_init = _combine_nodes(float(model.threshold_))
    parts = {
        mode: lightgbm_to_onnx(model.models_[mode], len(FEATURES)) for mode in MODES
    }
    links = [
        helper.make_node("Identity", ["features"], [f"{m}/features"]) for m in MODES
    ]
    vi = helper.make_tensor_value_info
    graph = graph_model(
        [*features, *links],
        [
            vi("Type", TensorProto.STRING, [None, 1]),
            vi("process", _D, [None, len(PROCESS_COLUMNS)]),
        ],
        [
            vi("failure_probability", _D, [None]),
            vi("failure", TensorProto.INT64, [None]),
            vi("failure_type", TensorProto.STRING, [None]),
            vi("mode_probabilities", _D, [None, len(MODES)]),
        ],
        name="industry_failure",
        initializers=[*f_init, *c_init],
        parts=parts,
        then=combine,
    )
    spec = {
        "inputs": [
            {
                "name": "Type",
                "columns": ["Type"],
                "dtype": "string",
                "categories": {"Type": list(TYPES)},
            },
            {"name": "process", "columns": list(PROCESS_COLUMNS), "dtype": "float64"},
        ],
        "outputs": [
            {"name": "failure_probability", "columns": ["failure_probability"]},
            {"name": "failure", "columns": ["failure"]},
            {"name": "failure_type", "columns": ["failure_type"]},
            {"name": "mode_probabilities", "columns": [f"p_{m}" for m in MODES]},
        ],
        "feature_step": "in-graph: physics features (power, temperature "
        "difference, strain, overstrain ratio) from the raw rows",
        "threshold": float(model.threshold_),
    }
    return EdgeModel(graph, spec)


__all__ = ["failure_to_onnx"]
