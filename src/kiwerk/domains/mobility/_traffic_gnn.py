"""A compact spatio-temporal graph network: graph diffusion over sensor features.

:class:`GraphDiffusionNet` encodes each sensor's window (own lags, 1- and 2-hop
neighbour lags, own lags minus the daily profile, daily profile ahead, time of
day; see
:func:`~kiwerk.domains.mobility.build_features`) together with a learned
sensor embedding, then mixes the sensors' hidden states through the sensor
graph in both directions (forward and backward random-walk diffusion, as in
DCRNN) and through a learned adaptive adjacency (``softmax(relu(E₁E₂ᵀ))``, as
in Graph WaveNet), with residual connections. One head predicts every horizon
step at once as a change from the last reading, trained with a Huber loss
(robust to the abrupt congestion onsets no window announces). It trains on one
CPU thread; ``seeds`` > 1 averages independently initialised copies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

import numpy as np

from kiwerk.domains.mobility._traffic_data import SpeedSeries, targets
from kiwerk.domains.mobility._traffic_features import (
    SCALE,
    DailyProfile,
    build_features,
)
from kiwerk.domains.mobility._traffic_models import ForecastParams
from kiwerk.errors import NotFittedError


def _diffusion(adjacency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-normalised forward and backward random-walk matrices, no self-loops."""
    linked = (np.asarray(adjacency) > 0).astype(np.float64)
    np.fill_diagonal(linked, 0.0)
    forward = linked / np.maximum(linked.sum(axis=1, keepdims=True), 1.0)
    backward = linked.T / np.maximum(linked.T.sum(axis=1, keepdims=True), 1.0)
    return forward, backward


def _network(
    features: int, sensors: int, horizon: int, hidden: int, layers: int
) -> Any:
    """Build the torch module (torch is imported lazily: the ``torch`` extra)."""
    import torch

    class _Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.node = torch.nn.Parameter(0.1 * torch.randn(sensors, 8))
            self.source = torch.nn.Parameter(0.1 * torch.randn(sensors, 10))
            self.target = torch.nn.Parameter(0.1 * torch.randn(sensors, 10))
            self.encode = torch.nn.Sequential(
                torch.nn.Linear(features + 8, hidden),
                torch.nn.GELU(),
                torch.nn.Linear(hidden, hidden),
            )
            self.mix = torch.nn.ModuleList(
                torch.nn.Linear(4 * hidden, hidden) for _ in range(layers)
            )
            self.norm = torch.nn.ModuleList(
                torch.nn.LayerNorm(hidden) for _ in range(layers)
            )
            self.drop = torch.nn.Dropout(0.1)
            self.head = torch.nn.Sequential(
                torch.nn.Linear(2 * hidden, hidden),
                torch.nn.GELU(),
                torch.nn.Linear(hidden, horizon),
            )

        def forward(self, x: Any, forward: Any, backward: Any) -> Any:
            node = self.node.expand(x.shape[0], -1, -1)
            h = first = self.encode(torch.cat([x, node], dim=-1))
            adaptive = torch.softmax(torch.relu(self.source @ self.target.T), dim=1)
            for mix, norm in zip(self.mix, self.norm, strict=True):
                spread = torch.cat([h, forward @ h, backward @ h, adaptive @ h], -1)
                h = norm(h + self.drop(torch.nn.functional.gelu(mix(spread))))
            return self.head(torch.cat([h, first], dim=-1))

    return _Net()


class GraphDiffusionNet:
    """Spatio-temporal graph network on the sensor graph (see the module text).

    Parameters
    ----------
    epochs
        Passes over the training windows of the one-cycle schedule.
    stop
        Stop after this many epochs of that schedule (chosen on a validation
        tail); ``None`` runs all ``epochs``.
    hidden, layers
        Width of the hidden states and number of graph-mixing layers.
    seeds
        Independently initialised copies whose forecasts are averaged.
    huber_delta
        Huber loss threshold in units of 10 mph of change; ``None`` trains on
        the squared error.
    on_epoch
        Called after each epoch of the first copy with ``(epoch, model)``.

    Examples
    --------
    >>> GraphDiffusionNet(epochs=0)
    Traceback (most recent call last):
    ...
    ValueError: Expected epochs >= 1.
    """

    name = "graph_diffusion_net"

    def __init__(
        self,
        params: ForecastParams | None = None,
        *,
        epochs: int = 12,
        stop: int | None = None,
        hidden: int = 64,
        layers: int = 2,
        seeds: int = 1,
        batch_size: int = 32,
        learning_rate: float = 2e-3,
        huber_delta: float | None = 0.5,
        on_epoch: Callable[[int, GraphDiffusionNet], None] | None = None,
    ) -> None:
        if epochs < 1:
            raise ValueError("Expected epochs >= 1.")
        if huber_delta is not None and huber_delta <= 0:
            raise ValueError("Expected huber_delta > 0 or None.")
        if stop is not None and not 1 <= stop <= epochs:
            raise ValueError("Expected 1 <= stop <= epochs.")
        if seeds < 1:
            raise ValueError("Expected seeds >= 1.")
        self.params = params or ForecastParams()
        self.epochs = epochs
        self.stop = stop
        self.hidden = hidden
        self.layers = layers
        self.seeds = seeds
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.huber_delta = huber_delta
        self.on_epoch = on_epoch
        self.profile_: DailyProfile | None = None
        self.nets_: list[Any] = []
        self.graph_: tuple[Any, Any] | None = None

    def _inputs(self, series: SpeedSeries, origins: np.ndarray) -> tuple[Any, Any]:
        import torch

        assert self.profile_ is not None
        p = self.params
        block = build_features(
            series,
            origins,
            self.profile_,
            input_steps=p.input_steps,
            horizon=p.horizon,
            anomaly=True,
        )
        return torch.tensor(block.values), block.last

    def fit(self, series: SpeedSeries, origins: np.ndarray) -> Self:
        """Train each copy with AdamW and a one-cycle schedule on one thread."""
        import torch

        p = self.params
        torch.set_num_threads(1)
        self.profile_ = DailyProfile.fit(series, int(origins.max()) + p.horizon)
        forward, backward = _diffusion(series.adjacency)
        self.graph_ = (
            torch.tensor(forward, dtype=torch.float32),
            torch.tensor(backward, dtype=torch.float32),
        )
        x, last = self._inputs(series, origins)
        change = targets(series.speed, origins, p.horizon) - last[:, :, None]
        y = torch.tensor(change / SCALE, dtype=torch.float32)
        self.nets_ = []
        for copy in range(self.seeds):
            self._train_one(x, y, p.seed + copy, series, first=copy == 0)
        return self

    def _train_one(
        self, x: Any, y: Any, seed: int, series: SpeedSeries, *, first: bool
    ) -> None:
        import torch

        assert self.graph_ is not None
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        net = _network(
            x.shape[-1], series.n_sensors, self.params.horizon, self.hidden, self.layers
        )
        self.nets_.append(net)
        batches = -(-len(x) // self.batch_size)
        optimiser = torch.optim.AdamW(
            net.parameters(), lr=self.learning_rate, weight_decay=1e-4
        )
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimiser, max_lr=self.learning_rate, total_steps=self.epochs * batches
        )
        for epoch in range(self.stop or self.epochs):
            net.train()
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), self.batch_size):
                rows = order[start : start + self.batch_size]
                loss = self._loss(net(x[rows], *self.graph_) - y[rows])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
            if first and self.on_epoch is not None:
                self.on_epoch(epoch, self)

    def _loss(self, error: Any) -> Any:
        """Mean Huber (or squared) loss of the scaled errors."""
        import torch

        if self.huber_delta is None:
            return (error**2).mean()
        return torch.nn.functional.huber_loss(
            error, torch.zeros_like(error), delta=self.huber_delta
        )

    def __getstate__(self) -> dict[str, Any]:
        """Pickle weights, not the torch modules (their class is built lazily)."""
        state = dict(self.__dict__)
        state["on_epoch"] = None
        state["nets_"] = [net.state_dict() for net in self.nets_]
        state["_features"] = (
            self.nets_[0].encode[0].in_features - 8 if self.nets_ else 0
        )
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild the networks from their weights."""
        weights = state.pop("nets_")
        features = state.pop("_features")
        self.__dict__.update(state)
        self.nets_ = []
        for saved in weights:
            n_sensors = saved["node"].shape[0]
            net = _network(
                features, n_sensors, self.params.horizon, self.hidden, self.layers
            )
            net.load_state_dict(saved)
            self.nets_.append(net)

    def predict(self, series: SpeedSeries, origins: np.ndarray) -> np.ndarray:
        """Last reading plus the mean predicted change of the copies."""
        import torch

        if not self.nets_ or self.graph_ is None:
            raise NotFittedError("GraphDiffusionNet is not fitted")
        x, last = self._inputs(series, origins)
        changes = []
        with torch.no_grad():
            for net in self.nets_:
                net.eval()
                changes.append(net(x, *self.graph_).numpy())
        return np.asarray(last[:, :, None] + SCALE * np.mean(changes, axis=0))
