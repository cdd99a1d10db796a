"""kiwerk's graph forecasters: a pooled network, and the blend of three models.

:class:`GraphMlp` reads each sensor's own lags, the 1- and 2-hop neighbour
means of the sensor graph, the daily profile ahead and the time of day, plus a
learned sensor embedding, and predicts all horizon steps at once. It trains on
the CPU with one thread in about a minute. :class:`GraphBlend` averages it with
:class:`~kiwerk.domains.mobility.GraphRidge` and
:class:`~kiwerk.domains.mobility.GraphDiffusionNet`; the weights are chosen on
a validation tail by the benchmark.
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
from kiwerk.domains.mobility._traffic_gnn import GraphDiffusionNet
from kiwerk.domains.mobility._traffic_models import (
    Forecaster,
    ForecastParams,
    GraphRidge,
)
from kiwerk.errors import NotFittedError


class GraphMlp:
    """Pooled two-layer network on graph features with a sensor embedding.

    Parameters
    ----------
    epochs
        Passes over the training windows (chosen on a validation tail).
    hidden
        Width of the hidden layers.
    on_epoch
        Called after each epoch with ``(epoch, model)``; the benchmark uses it
        to score a validation tail without a second training loop.
    """

    name = "graph_mlp"

    def __init__(
        self,
        params: ForecastParams | None = None,
        *,
        epochs: int = 4,
        hidden: int = 256,
        batch_size: int = 1024,
        learning_rate: float = 2e-3,
        on_epoch: Callable[[int, GraphMlp], None] | None = None,
    ) -> None:
        if epochs < 1:
            raise ValueError("Expected epochs >= 1.")
        self.params = params or ForecastParams()
        self.epochs = epochs
        self.hidden = hidden
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.on_epoch = on_epoch
        self.profile_: DailyProfile | None = None
        self.net_: Any = None
        self.embedding_: Any = None

    def _block(
        self, series: SpeedSeries, origins: np.ndarray
    ) -> tuple[Any, np.ndarray]:
        assert self.profile_ is not None
        p = self.params
        return build_features(
            series, origins, self.profile_, input_steps=p.input_steps, horizon=p.horizon
        ), np.tile(np.arange(series.n_sensors), len(origins))

    def fit(self, series: SpeedSeries, origins: np.ndarray) -> Self:
        """Train with AdamW and a cosine schedule on one CPU thread."""
        import torch  # the torch extra

        p = self.params
        torch.set_num_threads(1)
        generator = torch.Generator().manual_seed(p.seed)
        torch.manual_seed(p.seed)
        self.profile_ = DailyProfile.fit(series, int(origins.max()) + p.horizon)
        block, sensor = self._block(series, origins)
        x = torch.tensor(block.values.reshape(-1, block.values.shape[-1]))
        change = targets(series.speed, origins, p.horizon) - block.last[:, :, None]
        y = torch.tensor((change / SCALE).reshape(-1, p.horizon), dtype=torch.float32)
        ids = torch.tensor(sensor)
        self.embedding_ = torch.nn.Embedding(series.n_sensors, 8)
        self.net_ = torch.nn.Sequential(
            torch.nn.Linear(x.shape[1] + 8, self.hidden),
            torch.nn.GELU(),
            torch.nn.Dropout(0.1),
            torch.nn.Linear(self.hidden, self.hidden),
            torch.nn.GELU(),
            torch.nn.Linear(self.hidden, p.horizon),
        )
        weights = [*self.net_.parameters(), *self.embedding_.parameters()]
        optimiser = torch.optim.AdamW(weights, lr=self.learning_rate, weight_decay=1e-4)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, self.epochs)
        for epoch in range(self.epochs):
            self.net_.train()
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), self.batch_size):
                rows = order[start : start + self.batch_size]
                inputs = torch.cat([x[rows], self.embedding_(ids[rows])], dim=1)
                loss = ((self.net_(inputs) - y[rows]) ** 2).mean()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            schedule.step()
            if self.on_epoch is not None:
                self.on_epoch(epoch, self)
        return self

    def predict(self, series: SpeedSeries, origins: np.ndarray) -> np.ndarray:
        """Last reading plus the predicted change, all steps at once."""
        import torch

        if self.net_ is None or self.embedding_ is None:
            raise NotFittedError("GraphMlp is not fitted")
        block, sensor = self._block(series, origins)
        x = torch.tensor(block.values.reshape(-1, block.values.shape[-1]))
        self.net_.eval()
        with torch.no_grad():
            inputs = torch.cat([x, self.embedding_(torch.tensor(sensor))], dim=1)
            change = (
                self.net_(inputs).numpy().reshape(len(origins), series.n_sensors, -1)
            )
        return np.asarray(block.last[:, :, None] + SCALE * change)


class GraphBlend:
    """Weighted mean of :class:`GraphMlp`, :class:`GraphRidge` and a graph network.

    ``gnn_weight · GraphDiffusionNet + (1 − gnn_weight) · (weight · GraphMlp +
    (1 − weight) · GraphRidge)``; the weights are chosen on a validation tail
    by :func:`~kiwerk.domains.mobility.tune_blend`.

    Parameters
    ----------
    weight
        Share of the pooled network against the ridge (``0`` … ``1``).
    gnn_weight
        Share of :class:`~kiwerk.domains.mobility.GraphDiffusionNet`; ``0``
        leaves it out (not fitted).
    gnn_stop, gnn_seeds
        Epochs of its 12-epoch schedule to run, and copies to average.
    """

    name = "kiwerk_graph_blend"

    def __init__(
        self,
        params: ForecastParams | None = None,
        *,
        weight: float = 0.5,
        alpha: float = 30.0,
        epochs: int = 4,
        gnn_weight: float = 0.0,
        gnn_stop: int | None = None,
        gnn_seeds: int = 1,
    ) -> None:
        if not 0 <= weight <= 1 or not 0 <= gnn_weight <= 1:
            raise ValueError("Expected weight and gnn_weight in [0, 1].")
        self.params = params or ForecastParams()
        self.weight = weight
        self.gnn_weight = gnn_weight
        self.members: tuple[Forecaster, ...] = (
            GraphMlp(self.params, epochs=epochs),
            GraphRidge(self.params, alpha=alpha),
        )
        if gnn_weight > 0:
            gnn = GraphDiffusionNet(self.params, stop=gnn_stop, seeds=gnn_seeds)
            self.members = (*self.members, gnn)
        self.fitted_ = False

    def fit(self, series: SpeedSeries, origins: np.ndarray) -> Self:
        """Fit every member on the same windows."""
        for member in self.members:
            member.fit(series, origins)
        self.fitted_ = True
        return self

    def predict(self, series: SpeedSeries, origins: np.ndarray) -> np.ndarray:
        """The weighted mean of the members' forecasts."""
        if not self.fitted_:
            raise NotFittedError("GraphBlend is not fitted")
        net, ridge, *gnn = (m.predict(series, origins) for m in self.members)
        blend = self.weight * net + (1 - self.weight) * ridge
        if gnn:
            blend = self.gnn_weight * gnn[0] + (1 - self.gnn_weight) * blend
        return np.asarray(blend)
