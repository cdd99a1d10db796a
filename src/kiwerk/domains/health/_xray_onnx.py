"""Edge export of the X-ray triage model: the whole decision as one ONNX graph.

The graph takes the pipeline's request columns (``p000`` … ``p783``, grey
values 0–255, one row per image) and returns what the served model answers:
the calibrated pneumonia probability, the decision at the validation
threshold, whether the case falls into the abstain band (refer to a
radiologist) and whether the out-of-distribution gate refuses it. The
ensemble, the flip test-time augmentation, the temperature and the gate's
Mahalanobis distance are all inside the graph, so an edge device needs
onnxruntime alone.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import torch
from torch import nn

from kiwerk.core.models.onnx import EdgeModel, torch_to_onnx
from kiwerk.domains.health._xray_net import XrayNet
from kiwerk.domains.health._xray_triage import XrayTriage

PIXEL_COLUMNS = tuple(f"p{i:03d}" for i in range(28 * 28))
OUTPUTS = ("pneumonia_probability", "pneumonia", "refer", "refused")


class _EdgeTriage(nn.Module):
    """Pixels ``N × 784`` → probability, decision, refer and refused flags."""

    def __init__(self, model: XrayTriage) -> None:
        super().__init__()
        self.nets = nn.ModuleList(model.nets_)
        self.tta = model.params.tta
        gate = model.gate_
        # plain tensors: the exporter writes them into the graph as constants
        self.mean = torch.tensor(gate.mean_, dtype=torch.float32)
        self.precision = torch.tensor(gate.precision_, dtype=torch.float32)
        self.cutoff = float(gate.cutoff_)
        self.temperature = float(model.temperature_)
        self.threshold = float(model.threshold_)
        self.band = float(model.band_)

    def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The four outputs, each ``N × 1`` (see :data:`OUTPUTS`)."""
        # The served path clips to 0–255 and truncates to uint8 first.
        x = torch.floor(pixels.clamp(0.0, 255.0)) / 255.0
        x = x.reshape(-1, 1, 28, 28)
        views = [x, torch.flip(x, dims=[3])] if self.tta else [x]
        total = torch.zeros_like(x[:, 0, 0, :1])
        feats = torch.zeros_like(x[:, 0, 0, :1])
        for k, member in enumerate(self.nets):
            net = cast(XrayNet, member)
            for j, view in enumerate(views):
                pooled = net.pooled(view)
                if k == 0 and j == 0:
                    feats = pooled
                total = total + net.head(pooled)
        logit = total / (len(self.nets) * len(views))
        prob = torch.sigmoid(logit / self.temperature)
        d = feats - self.mean
        dist = torch.sqrt((d @ self.precision * d).sum(dim=1, keepdim=True))
        refused = dist > self.cutoff
        refer = (prob - self.threshold).abs() < self.band
        pneumonia = prob >= self.threshold
        return (
            prob.double(),
            pneumonia.long(),
            (refer & ~refused).long(),
            refused.long(),
        )


def xray_to_onnx(model: XrayTriage) -> EdgeModel:
    """A fitted :class:`XrayTriage` as an :class:`EdgeModel` (see module doc).

    Examples
    --------
    >>> from kiwerk.domains.health import XrayTriage
    >>> xray_to_onnx(XrayTriage())
    Traceback (most recent call last):
    ...
    kiwerk.errors.NotFittedError: XrayTriage is not fitted; call fit() first.
    """
    model._check()
    module = _EdgeTriage(model).eval()
    example = torch.zeros(2, len(PIXEL_COLUMNS), dtype=torch.float32)
    graph = torch_to_onnx(module, example, input_name="pixels", output_names=OUTPUTS)
    spec = {
        "inputs": [
            {"name": "pixels", "columns": list(PIXEL_COLUMNS), "dtype": "float32"}
        ],
        "outputs": [{"name": o, "columns": [o]} for o in OUTPUTS],
        "feature_step": "in-graph: grey values 0-255 to a 28 x 28 image, ensemble "
        "with flip TTA, temperature, abstain band and OOD gate",
        "threshold": float(np.float64(model.threshold_)),
        "abstain_half_width": float(model.band_),
    }
    return EdgeModel(graph, spec)


__all__ = ["OUTPUTS", "PIXEL_COLUMNS", "xray_to_onnx"]
