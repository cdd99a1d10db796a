"""Edge export and runner: parity with native models, isolation, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kiwerk.core.edge import EdgeRunner, MqttParams, serve_mqtt
from kiwerk.core.models.onnx import EdgeModel, export_onnx, torch_to_onnx
from kiwerk.errors import DataFormatError, ExportError

Data = tuple[pd.DataFrame, pd.Series]


def _records(X: pd.DataFrame) -> list[dict[str, Any]]:
    return X.to_dict(orient="records")  # type: ignore[return-value]


def test_lightgbm_classifier_parity(
    lgbm_onnx: tuple[Path, Any], ai4i_numeric: Data
) -> None:
    """LightGBM probabilities from onnxruntime match native ones to 1e-5."""
    path, model = lgbm_onnx
    X, _ = ai4i_numeric
    edge = pd.DataFrame(EdgeRunner(path).score(_records(X)))
    np.testing.assert_allclose(
        edge["probabilities_1"], model.predict_proba(X)[:, 1], rtol=0, atol=1e-5
    )
    assert (edge["label"] == model.predict(X)).all()


def test_lightgbm_regressor_parity(ai4i_numeric: Data, tmp_path: Path) -> None:
    """A LightGBM regressor (tool wear from the others) exports with parity."""
    import lightgbm as lgb

    X, _ = ai4i_numeric
    inputs, target = X.drop(columns="wear"), X["wear"]
    model = lgb.LGBMRegressor(n_estimators=30, verbose=-1, n_jobs=1).fit(inputs, target)
    export_onnx(model).save(tmp_path / "reg.onnx")
    edge = pd.DataFrame(EdgeRunner(tmp_path / "reg.onnx").score(_records(inputs)))
    native = model.predict(inputs)
    np.testing.assert_allclose(edge.iloc[:, 0], native, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize(
    "kind",
    [
        "forest",  # tree ensemble through skl2onnx
        "logistic",  # scaler + linear pipeline
    ],
)
def test_sklearn_parity(kind: str, ai4i_numeric: Data, tmp_path: Path) -> None:
    """scikit-learn models and pipelines export through skl2onnx with parity."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = ai4i_numeric
    model = (
        RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0)
        if kind == "forest"
        else make_pipeline(StandardScaler(), LogisticRegression())
    ).fit(X, y)
    export_onnx(model).save(tmp_path / "m.onnx")
    edge = pd.DataFrame(EdgeRunner(tmp_path / "m.onnx").score(_records(X)))
    proba = [c for c in edge.columns if c.startswith("probabilities")][-1]
    np.testing.assert_allclose(edge[proba], model.predict_proba(X)[:, 1], atol=1e-5)


def test_torch_parity(ai4i_numeric: Data, tmp_path: Path) -> None:
    """A PyTorch network exports through torch.onnx and scores alike."""
    import torch

    X, _ = ai4i_numeric
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    ).double()
    values = torch.tensor(((X - X.mean()) / X.std()).to_numpy())
    graph = torch_to_onnx(net, values[:2], input_name="x", output_names=("score",))
    spec = {
        "inputs": [{"name": "x", "columns": list(X.columns), "dtype": "float64"}],
        "outputs": [{"name": "score", "columns": ["score"]}],
        "feature_step": "none",
    }
    EdgeModel(graph, spec).save(tmp_path / "net.onnx")
    scaled = pd.DataFrame(values.numpy(), columns=X.columns)
    edge = pd.DataFrame(EdgeRunner(tmp_path / "net.onnx").score(_records(scaled)))
    with torch.no_grad():
        native = net(values).numpy()[:, 0]
    np.testing.assert_allclose(edge["score"], native, rtol=0, atol=1e-5)


def test_unknown_model_type_is_refused() -> None:
    """Objects with no converter raise ExportError naming the type."""
    with pytest.raises(ExportError, match="dict"):
        export_onnx({})


def test_bad_rows_name_line_and_field(lgbm_onnx: tuple[Path, Any]) -> None:
    """Missing and non-numeric values are refused with their line and column."""
    runner = EdgeRunner(lgbm_onnx[0])
    good = {"air": 300.0, "process": 310.0, "speed": 1500, "torque": 40, "wear": 9}
    with pytest.raises(DataFormatError, match=r"line 2, field 'torque'.*missing"):
        runner.score([good, {**good, "torque": ""}])
    with pytest.raises(DataFormatError, match=r"line 1, field 'speed'.*finite"):
        runner.score([{**good, "speed": "fast"}])


def test_missing_file_and_spec_are_refused(tmp_path: Path) -> None:
    """A missing or non-ONNX file is a DataFormatError, not a crash."""
    with pytest.raises(DataFormatError, match="no such model"):
        EdgeRunner(tmp_path / "none.onnx")
    (tmp_path / "bad.onnx").write_bytes(b"not onnx")
    with pytest.raises(DataFormatError, match="not a loadable"):
        EdgeRunner(tmp_path / "bad.onnx")


_BLOCK = """
import importlib.abc, sys
BLOCKED = {"lightgbm", "sklearn", "torch", "mlflow", "pandas", "scipy", "shap",
           "onnx", "onnxmltools", "skl2onnx", "fastapi", "sqlalchemy"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"blocked on the edge: {name}")
sys.meta_path.insert(0, Block())
from kiwerk.interfaces.cli.edge import main
sys.argv = ["kiwerk-edge", "run", *sys.argv[1:]]
main()
"""


def test_runner_needs_no_training_stack(
    lgbm_onnx: tuple[Path, Any], ai4i_numeric: Data, tmp_path: Path
) -> None:
    """`kiwerk-edge run` scores a CSV with lightgbm, sklearn, torch, pandas blocked."""
    path, model = lgbm_onnx
    X, _ = ai4i_numeric
    X.iloc[:50].to_csv(tmp_path / "rows.csv", index=False)
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _BLOCK,
            str(path),
            "--input",
            str(tmp_path / "rows.csv"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    expected = model.predict_proba(X.iloc[:50])[:, 1]
    np.testing.assert_allclose(
        [r["probabilities_1"] for r in scored], expected, atol=1e-5
    )


def test_blocking_hook_really_blocks() -> None:
    """The import hook of the isolation test stops a blocked import."""
    code = _BLOCK.split("from kiwerk")[0] + "import lightgbm\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "blocked on the edge: lightgbm" in done.stderr


def test_mqtt_round_trip(
    lgbm_onnx: tuple[Path, Any], ai4i_numeric: Data, broker: Any
) -> None:
    """Rows published on a topic come back scored; a bad message gets an error."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    path, model = lgbm_onnx
    X, _ = ai4i_numeric
    params = MqttParams(port=broker.port, topic="plant/line1/rows", max_messages=2)
    answers: list[Any] = []
    ready = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2)

    def on_connect(c: mqtt.Client, *_: Any) -> None:
        c.subscribe(params.answer_topic, 1)
        ready.set()

    listener.on_connect = on_connect
    listener.on_message = lambda c, u, m: answers.append(json.loads(m.payload))
    listener.connect("127.0.0.1", broker.port)
    listener.loop_start()
    assert ready.wait(10)
    worker = threading.Thread(
        target=lambda: answers.append(serve_mqtt(EdgeRunner(path), params))
    )
    worker.start()
    sender = mqtt.Client(CallbackAPIVersion.VERSION2)
    sender.connect("127.0.0.1", broker.port)
    sender.loop_start()
    import time

    time.sleep(0.5)  # the runner subscribes
    sender.publish(
        params.topic, json.dumps(_records(X.iloc[:3])), qos=1
    ).wait_for_publish(5)
    sender.publish(params.topic, b'{"air": 1}', qos=1).wait_for_publish(5)
    worker.join(30)
    time.sleep(0.3)
    listener.loop_stop()
    sender.loop_stop()
    scored = next(a for a in answers if isinstance(a, list))
    expected = model.predict_proba(X.iloc[:3])[:, 1]
    np.testing.assert_allclose(
        [r["probabilities_1"] for r in scored], expected, atol=1e-5
    )
    error = next(a for a in answers if isinstance(a, dict))
    assert "process" in error["error"]
    assert 2 in answers
