"""Gradient × input attribution for differentiable (PyTorch) models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kiwerk.core.explain._explanation import Explanation

if TYPE_CHECKING:
    import torch


def gradient_attribution(
    module: torch.nn.Module,
    inputs: np.ndarray,
    *,
    feature_names: Sequence[str],
    output: str,
    baseline: np.ndarray | None = None,
) -> Explanation:
    """Attribute a scalar-output model's predictions to its inputs.

    Computes (input − baseline) × ∂output/∂input for every input element.
    Inputs of shape ``(rows, features)`` give one contribution per feature;
    sequences ``(rows, steps, features)`` are kept per step and summed over
    the window for the feature table, so a caller can still ask which recent
    steps mattered via :func:`gradient_attribution_steps`.

    Parameters
    ----------
    module
        A model mapping a float tensor of ``inputs``' shape to ``(rows,)`` or
        ``(rows, 1)`` outputs.
    inputs
        The model inputs to explain.
    feature_names
        Names of the last axis of ``inputs``.
    output
        A name for the output space, e.g. ``"RUL in cycles"``.
    baseline
        Reference input (default all zeros), broadcastable to ``inputs``.

    Examples
    --------
    >>> import torch
    >>> lin = torch.nn.Linear(2, 1)
    >>> with torch.no_grad():
    ...     _ = lin.weight.copy_(torch.tensor([[2.0, -1.0]]))
    >>> e = gradient_attribution(lin, np.array([[1.0, 1.0]]),
    ...                          feature_names=["a", "b"], output="y")
    >>> e.top(0, 2)
    [('a', 2.0), ('b', -1.0)]
    """
    steps = gradient_attribution_steps(module, inputs, baseline=baseline)
    table = steps.sum(axis=1) if steps.ndim == 3 else steps
    if table.shape[1] != len(feature_names):
        raise ValueError(
            f"expected {table.shape[1]} feature names, got {len(feature_names)}"
        )
    contributions = pd.DataFrame(table, columns=list(feature_names))
    return Explanation(
        contributions=contributions,
        base_values=np.zeros(len(contributions)),
        output=output,
    )


def gradient_attribution_steps(
    module: torch.nn.Module,
    inputs: np.ndarray,
    *,
    baseline: np.ndarray | None = None,
) -> np.ndarray:
    """Element-wise (input − baseline) × gradient, same shape as ``inputs``.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 1))
    >>> gradient_attribution_steps(net, np.ones((4, 3, 2))).shape
    (4, 3, 2)
    """
    import torch

    x = torch.tensor(np.asarray(inputs, dtype=np.float32), requires_grad=True)
    was_training = module.training
    module.eval()
    try:
        out = module(x).reshape(len(x), -1).sum()
        (grad,) = torch.autograd.grad(out, x)
    finally:
        module.train(was_training)
    reference = (
        np.zeros_like(inputs, dtype=np.float32) if baseline is None else baseline
    )
    delta = np.asarray(inputs, dtype=np.float32) - np.asarray(reference, np.float32)
    return np.asarray(grad.numpy() * delta, dtype=float)
