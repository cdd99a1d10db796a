"""ONNX export of the X-ray triage: the edge graph answers as the served model does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiwerk.core.edge import EdgeRunner
from kiwerk.domains.health import (
    MedMnist,
    XrayNetParams,
    XrayTriage,
    XrayTriageParams,
    corrupt,
    load_medmnist,
    xray_to_onnx,
)
from kiwerk.errors import NotFittedError

PARAMS = XrayTriageParams(net=XrayNetParams(width=8, epochs=2), n_models=2)


@pytest.fixture(scope="module")
def small(pneumonia_path: Path) -> MedMnist:
    """The first 300 images of each official split."""
    return load_medmnist(pneumonia_path, limit=300)


@pytest.fixture(scope="module")
def model(small: MedMnist) -> XrayTriage:
    """A two-net ensemble (flip TTA, temperature, band, gate) on real images."""
    return XrayTriage(PARAMS, seed=4).fit(small.train, small.val)


def test_edge_graph_matches_the_model(
    model: XrayTriage, small: MedMnist, tmp_path: Path
) -> None:
    """Probabilities agree to 1e-5 and every decision, refer and refusal matches."""
    path = tmp_path / "xray.onnx"
    xray_to_onnx(model).save(path)
    images = np.concatenate([small.test.images, corrupt(small.test.images[:60])])
    rows = [{f"p{i:03d}": int(v) for i, v in enumerate(img.ravel())} for img in images]
    edge = EdgeRunner(path).score(rows)
    prob = np.array([r["pneumonia_probability"] for r in edge])
    native = model.predict_proba(images)
    np.testing.assert_allclose(prob, native, rtol=0, atol=1e-5)
    decisions = model.predict(images)
    expected = [
        "refused" if r["refused"] else "refer" if r["refer"]
        else "pneumonia" if r["pneumonia"] else "normal"
        for r in edge
    ]  # fmt: skip
    near = np.abs(native - model.threshold_) < 1e-5
    agree = np.array(expected) == np.array(decisions)
    assert agree[~near].all()
    assert "refused" in decisions  # the gate is really in the graph


def test_unfitted_model_has_no_export() -> None:
    """Exporting before fit names the problem."""
    with pytest.raises(NotFittedError):
        xray_to_onnx(XrayTriage(PARAMS))
