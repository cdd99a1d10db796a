"""Integrated gradients for the sequence model (Sundararajan et al., 2017)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from numpy.typing import NDArray


def integrated_gradients(
    forward: Callable[[torch.Tensor], torch.Tensor],
    x: NDArray[np.float32],
    baseline: NDArray[np.float32],
    steps: int = 64,
) -> NDArray[np.float64]:
    """Attribution of ``forward(x) - forward(baseline)`` to each input cell.

    ``x`` and ``baseline`` are one window ``(cycles, channels)``; the path
    integral of the gradient along the straight line between them is taken with
    the trapezoid rule over ``steps`` intervals, so the attributions sum to the
    difference of the outputs up to the discretisation error (completeness).

    Examples
    --------
    >>> f = lambda t: (t**2).sum(dim=(1, 2))
    >>> x = np.ones((2, 1), np.float32)
    >>> a = integrated_gradients(f, x, np.zeros_like(x))
    >>> round(float(a.sum()), 3)
    2.0
    """
    if x.shape != baseline.shape:
        raise ValueError(f"Expected baseline of shape {x.shape}, got {baseline.shape}.")
    batch = integrated_gradients_batch(forward, x[None], baseline, steps)
    return np.asarray(batch[0], dtype=np.float64)


def integrated_gradients_batch(
    forward: Callable[[torch.Tensor], torch.Tensor],
    x: NDArray[np.float32],
    baseline: NDArray[np.float32],
    steps: int = 32,
) -> NDArray[np.float64]:
    """:func:`integrated_gradients` for a batch ``(rows, cycles, channels)``.

    ``forward`` must treat samples independently (no batch statistics).
    """
    if x.shape[1:] != baseline.shape:
        raise ValueError(
            f"Expected baseline of shape {x.shape[1:]}, got {baseline.shape}."
        )
    if steps < 1:
        raise ValueError(f"Expected steps >= 1, got {steps}.")
    start = torch.from_numpy(np.asarray(baseline, dtype=np.float32))[None]
    delta = torch.from_numpy(np.asarray(x, dtype=np.float32)) - start
    fractions = torch.linspace(0.0, 1.0, steps + 1).view(-1, 1, 1, 1)
    path = (start[None] + fractions * delta[None]).reshape(-1, *x.shape[1:])
    path.requires_grad_(True)
    outputs = forward(path)
    (grads,) = torch.autograd.grad(outputs.sum(), path)
    weights = torch.full((steps + 1,), 1.0 / steps)
    weights[0] = weights[-1] = 0.5 / steps
    grads = grads.reshape(steps + 1, *x.shape)
    mean_grad = (grads * weights.view(-1, 1, 1, 1)).sum(dim=0)
    return (mean_grad * delta).detach().numpy().astype(np.float64)
