"""The sequence model: a small 1-D convolutional network over sensor windows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from kiwerk.domains.industry.rul._params import RulParams


class WindowCNN(nn.Module):
    """Three same-padded convolutions over time, then a dense head.

    Input ``(batch, window, channels)``; output the RUL divided by the cap.
    """

    def __init__(self, channels: int, window: int, hidden: int, dropout: float) -> None:
        super().__init__()
        kernel = 5
        self.conv = nn.Sequential(
            nn.Conv1d(channels, hidden, kernel, padding=kernel // 2),
            nn.ReLU(),
            nn.Conv1d(hidden, hidden, kernel, padding=kernel // 2),
            nn.ReLU(),
            nn.Conv1d(hidden, hidden, kernel, padding=kernel // 2),
            nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(hidden * window, 64),
            nn.ReLU(),
            nn.Linear(64, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """RUL / cap for each window."""
        out: torch.Tensor = self.head(self.conv(x.transpose(1, 2))).squeeze(-1)
        return out


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run torch on ``n`` threads, restoring the previous count afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_network(
    x: NDArray[np.float32], y: NDArray[np.float64], params: RulParams, seed: int
) -> WindowCNN:
    """Fit one network on windows ``x`` and capped targets ``y`` (fixed steps).

    A one-cycle learning-rate schedule over ``params.steps`` replaces early
    stopping, so held-out engines stay untouched by fitting and can calibrate.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = WindowCNN(x.shape[2], x.shape[1], params.hidden, params.dropout)
    optimiser = torch.optim.AdamW(
        net.parameters(), lr=params.learning_rate, weight_decay=params.weight_decay
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=params.learning_rate, total_steps=params.steps
    )
    inputs = torch.from_numpy(x)
    targets = torch.from_numpy(
        (np.minimum(y, params.cap) / params.cap).astype(np.float32)
    )
    net.train()
    size = min(params.batch_size, len(x))
    order = rng.permutation(len(x))
    cursor = 0
    for _ in range(params.steps):
        if cursor + size > len(order):
            order, cursor = rng.permutation(len(x)), 0
        batch = torch.from_numpy(order[cursor : cursor + size])
        cursor += size
        optimiser.zero_grad()
        loss = ((net(inputs[batch]) - targets[batch]) ** 2).mean()
        loss.backward()
        optimiser.step()
        schedule.step()
    net.eval()
    return net


def predict_network(
    net: WindowCNN, x: NDArray[np.float32], cap: float
) -> NDArray[np.float64]:
    """RUL estimates of one network for a batch of windows."""
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), 4096):
            out.append(net(torch.from_numpy(x[i : i + 4096])).numpy())
    if not out:
        return np.zeros(0)
    return np.concatenate(out).astype(np.float64) * cap
