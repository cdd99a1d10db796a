"""Grad-CAM heat maps (captum) and the out-of-distribution gate of the X-ray model.

Grad-CAM (Selvaraju et al., 2017) weights the last convolutional stage's maps
by the gradient of the pneumonia logit; captum's ``LayerGradCam`` computes it
and the map is upsampled to the image and overlaid as PNG. The gate scores
each image by the Mahalanobis distance of its pooled features to those of the
training images and refuses the ones beyond a validation quantile.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from captum.attr import LayerAttribution, LayerGradCam
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray

from kiwerk.domains.health._xray_net import XrayNet, to_tensor


def grad_cam(
    net: XrayNet, images: NDArray[np.uint8], *, target: int = 0
) -> NDArray[np.float32]:
    """Grad-CAM maps ``N × H × W`` in [0, 1] for the logit ``target``.

    Examples
    --------
    >>> from kiwerk.domains.health import XrayNetParams
    >>> net = XrayNet(XrayNetParams(width=4)).eval()
    >>> grad_cam(net, np.zeros((2, 28, 28), np.uint8)).shape
    (2, 28, 28)
    """
    net.eval()
    x = to_tensor(images).requires_grad_(True)
    cam = LayerGradCam(net, net.last_conv)
    attr = cam.attribute(x, target=target, relu_attributions=True)
    up = LayerAttribution.interpolate(
        attr, tuple(x.shape[-2:]), interpolate_mode="bilinear"
    )
    maps = up.detach()[:, 0].numpy().astype(np.float32)
    peak = maps.reshape(len(maps), -1).max(axis=1)
    out: NDArray[np.float32] = maps / np.where(peak > 0, peak, 1.0)[:, None, None]
    return out


def overlay_png(
    image: NDArray[np.uint8], heat: NDArray[np.float32], *, caption: str
) -> bytes:
    """The grey image with the heat map in translucent colour, as PNG bytes.

    Examples
    --------
    >>> png = overlay_png(np.zeros((28, 28), np.uint8), np.zeros((28, 28), np.float32),
    ...                   caption="p 0.10")
    >>> png[:4]
    b'\\x89PNG'
    """
    fig = Figure(figsize=(3, 3.3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.imshow(heat, cmap="jet", alpha=0.4, vmin=0, vmax=1, interpolation="bilinear")
    ax.set_title(caption, fontsize=8)
    ax.axis("off")
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight")
    return out.getvalue()


def save_overlay(
    image: NDArray[np.uint8], heat: NDArray[np.float32], path: Path, *, caption: str
) -> Path:
    """Save :func:`overlay_png` of the image and its heat map to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(overlay_png(image, heat, caption=caption))
    return path


@torch.no_grad()
def pooled_features(net: XrayNet, images: NDArray[np.uint8]) -> NDArray[np.float64]:
    """The globally pooled last-stage features ``N × 4·width`` of ``net``."""
    net.eval()
    out = []
    x_all = to_tensor(images)
    for i in range(0, len(x_all), 1024):
        out.append(net.pooled(x_all[i : i + 1024]))
    return torch.cat(out).double().numpy()


@dataclass
class OodGate:
    """Mahalanobis-distance gate on pooled features; ``refuse`` beyond ``quantile``.

    Parameters
    ----------
    quantile
        Share of in-distribution validation images that must pass the gate.
    """

    quantile: float = 0.99

    def fit(
        self, net: XrayNet, train: NDArray[np.uint8], val: NDArray[np.uint8]
    ) -> OodGate:
        """Fit mean and covariance on ``train``, the cut-off on ``val``."""
        feats = pooled_features(net, train)
        self.net_ = net
        self.mean_ = feats.mean(axis=0)
        cov = np.cov(feats, rowvar=False) + 1e-3 * np.eye(feats.shape[1])
        self.precision_ = np.linalg.inv(cov)
        self.cutoff_ = float(np.quantile(self.score(val), self.quantile))
        return self

    def score(self, images: NDArray[np.uint8]) -> NDArray[np.float64]:
        """Mahalanobis distance of each image's features (higher = stranger)."""
        return self.score_features(pooled_features(self.net_, images))

    def score_features(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """:meth:`score` for features already pooled by the gate's network."""
        d = features - self.mean_
        out: NDArray[np.float64] = np.sqrt(
            np.einsum("ij,jk,ik->i", d, self.precision_, d)
        )
        return out

    def refuse(self, images: NDArray[np.uint8]) -> NDArray[np.bool_]:
        """True where an image is too far from the training X-rays to be scored."""
        return self.score(images) > self.cutoff_


def corrupt(images: NDArray[np.uint8], *, seed: int = 0) -> NDArray[np.uint8]:
    """Out-of-distribution probes: each image gets one of five corruptions.

    Heavy Gaussian noise, colour inversion, a random-texture image, a 90° turn with
    a blank half, and pixel shuffling (the histogram kept, the anatomy gone).
    """
    rng = np.random.default_rng(seed)
    out = images.astype(np.float64).copy()
    kinds = rng.integers(0, 5, len(images))
    for i, kind in enumerate(kinds):
        img = out[i]
        if kind == 0:
            img = img + rng.normal(0, 80, img.shape)
        elif kind == 1:
            img = 255 - img
        elif kind == 2:
            img = rng.uniform(0, 255, img.shape)
        elif kind == 3:
            img = np.rot90(img).copy()
            img[:, : img.shape[1] // 2] = 0
        else:
            img = rng.permutation(img.ravel()).reshape(img.shape)
        out[i] = img
    return np.clip(out, 0, 255).astype(np.uint8)
