"""The X-ray triage model: ensemble, calibration, threshold, abstain band, OOD gate.

:class:`XrayTriage` follows the pipeline's verbs (``fit``, ``predict_proba``,
``predict``, ``explain``, ``evaluate``). ``fit`` trains the ensemble on the
training split and fits everything else (temperature, Youden threshold, abstain
band, out-of-distribution cut-off) on the validation split only; the test split
is for ``evaluate``.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from kiwerk.domains.health._medmnist import MedMnistSplit
from kiwerk.domains.health._xray_explain import OodGate, grad_cam, save_overlay
from kiwerk.domains.health._xray_net import (
    XrayNet,
    XrayNetParams,
    predict_logits,
    to_tensor,
    train_xray_net,
)
from kiwerk.domains.health._xray_trust import (
    choose_abstain_band,
    expected_calibration_error,
    fit_temperature,
    sigmoid,
    threshold_for_sensitivity,
    youden_threshold,
)
from kiwerk.errors import DataFormatError, NotFittedError

Decision = Literal["pneumonia", "normal", "refer", "refused"]


@dataclass(frozen=True)
class XrayTriageParams:
    """Settings of the triage model.

    Parameters
    ----------
    net
        Architecture and schedule of each ensemble member.
    n_models
        Ensemble size (members differ by seed).
    tta
        Average each image with its mirror at prediction time.
    time_budget_s
        Wall-clock training budget: a member is only started while one more,
        at the mean pace of the finished ones, still fits.
    workers
        Members trained at once, each in its own process with
        ``net.threads`` threads; ``None``: one per available core (at most
        ``n_models``). The members do not depend on it.
    target_accuracy
        Accuracy the decided (non-referred) validation cases must reach.
    target_sensitivity
        Sensitivity floor of the deprioritisation threshold (the KPI).
    """

    net: XrayNetParams = field(default_factory=XrayNetParams)
    n_models: int = 3
    tta: bool = True
    time_budget_s: float | None = None
    workers: int | None = None
    target_accuracy: float = 0.98
    target_sensitivity: float = 0.95

    def __post_init__(self) -> None:
        if self.n_models < 1:
            raise ValueError(f"Expected n_models >= 1, got {self.n_models}.")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"Expected workers >= 1, got {self.workers}.")

    def n_workers(self) -> int:
        """Processes that train members at once."""
        if self.workers is not None:
            return min(self.workers, self.n_models)
        cores = (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 1
        )
        return max(1, min(cores // max(1, self.net.threads), self.n_models))


class XrayTriage:
    """Pneumonia triage on 28 × 28 chest X-rays with calibrated, abstaining output."""

    def __init__(
        self, params: XrayTriageParams | None = None, *, seed: int = 0
    ) -> None:
        self.params = params or XrayTriageParams()
        self.seed = seed

    def fit(self, train: MedMnistSplit, val: MedMnistSplit) -> XrayTriage:
        """Train the ensemble on ``train``; calibrate and set thresholds on ``val``."""
        p, rng = self.params, np.random.default_rng(self.seed)
        seeds = [int(rng.integers(2**31)) for _ in range(p.n_models)]
        start, cpu_start = time.perf_counter(), _cpu_seconds()
        nets = _train_members(train, p, seeds)
        self.nets_: list[XrayNet] = nets
        self.train_seconds_ = time.perf_counter() - start
        self.train_cpu_seconds_ = _cpu_seconds() - cpu_start
        z_val = self._logits(val.images)[:, 0]
        y_val = val.labels[:, 0]
        self.temperature_ = fit_temperature(z_val, y_val)
        p_val = sigmoid(z_val / self.temperature_)
        self.threshold_ = youden_threshold(p_val, y_val)
        self.band_ = choose_abstain_band(
            p_val, y_val, self.threshold_, p.target_accuracy
        )
        self.triage_threshold_ = threshold_for_sensitivity(
            p_val, y_val, p.target_sensitivity
        )
        self.gate_ = OodGate().fit(nets[0], train.images, val.images)
        return self

    def _check(self) -> None:
        if not hasattr(self, "nets_"):
            raise NotFittedError("XrayTriage is not fitted; call fit() first.")

    @staticmethod
    def _validate(images: NDArray[np.uint8]) -> None:
        if images.ndim != 3 or images.dtype != np.uint8:
            raise DataFormatError(
                "expected N × H × W uint8 grey images, "
                f"got {images.shape} {images.dtype}",
                field="images",
            )

    def _logits(self, images: NDArray[np.uint8]) -> NDArray[np.float64]:
        self._validate(images)
        return predict_logits(self.nets_, images, tta=self.params.tta)

    def predict_proba(
        self, images: NDArray[np.uint8], *, calibrated: bool = True
    ) -> NDArray[np.float64]:
        """Probability of pneumonia per image (temperature-scaled by default)."""
        self._check()
        z = self._logits(images)[:, 0]
        return sigmoid(z / self.temperature_ if calibrated else z)

    def predict(self, images: NDArray[np.uint8]) -> list[Decision]:
        """``pneumonia``/``normal``; ``refer`` in the abstain band; ``refused``: OOD."""
        self._check()
        z, feats = self._forward(images)
        probs = sigmoid(z[:, 0] / self.temperature_)
        refused = self.gate_.score_features(feats) > self.gate_.cutoff_
        out: list[Decision] = []
        for prob, ood in zip(probs, refused, strict=True):
            if ood:
                out.append("refused")
            elif abs(prob - self.threshold_) < self.band_:
                out.append("refer")
            else:
                out.append("pneumonia" if prob >= self.threshold_ else "normal")
        return out

    @torch.no_grad()
    def _forward(
        self, images: NDArray[np.uint8]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Mean logits (with TTA) and the gate's features, in one pass per view."""
        self._validate(images)
        x = to_tensor(images)
        views = [x, x.flip(-1)] if self.params.tta else [x]
        total = torch.zeros(len(x), self.nets_[0].head.out_features)
        feats = torch.zeros(len(x), self.nets_[0].head.in_features)
        for k, net in enumerate(self.nets_):
            net.eval()
            for j, view in enumerate(views):
                pooled = net.pooled(view)
                if k == 0 and j == 0:
                    feats = pooled
                total += net.head(pooled)
        n = len(self.nets_) * len(views)
        return (total / n).double().numpy(), feats.double().numpy()

    def explain(self, images: NDArray[np.uint8]) -> NDArray[np.float32]:
        """Grad-CAM maps (mean over the ensemble) for the pneumonia logit."""
        self._check()
        maps = np.mean([grad_cam(net, images) for net in self.nets_], axis=0)
        peak = maps.reshape(len(maps), -1).max(axis=1)
        out: NDArray[np.float32] = (
            maps / np.where(peak > 0, peak, 1.0)[:, None, None]
        ).astype(np.float32)
        return out

    def save_heatmaps(
        self, images: NDArray[np.uint8], folder: Path, *, prefix: str = "xray"
    ) -> list[Path]:
        """One PNG per image: the X-ray, its Grad-CAM overlay and the decision."""
        probs, decisions = self.predict_proba(images), self.predict(images)
        maps = self.explain(images)
        return [
            save_overlay(
                images[i],
                maps[i],
                folder / f"{prefix}_{i:05d}.png",
                caption=f"p(pneumonia) {probs[i]:.2f}: {decisions[i]}",
            )
            for i in range(len(images))
        ]

    def evaluate(self, split: MedMnistSplit) -> dict[str, float]:
        """AUC, accuracy (validation threshold; logit 0), ECE, coverage, KPI."""
        self._check()
        y = split.labels[:, 0]
        z = self._logits(split.images)[:, 0]
        raw, cal = sigmoid(z), sigmoid(z / self.temperature_)
        decided = np.abs(cal - self.threshold_) >= self.band_
        normals = y == 0
        return {
            "auc": float(roc_auc_score(y, cal)),
            "acc": float(((cal >= self.threshold_) == y).mean()),
            # The balanced-prior decision (logit 0) of a class-balanced net:
            # no threshold learnt from validation, robust to prevalence shift.
            "acc_balanced_prior": float(((z >= 0.0) == y).mean()),
            "ece_before": expected_calibration_error(raw, y),
            "ece_after": expected_calibration_error(cal, y),
            "coverage": float(decided.mean()),
            "acc_decided": float(
                ((cal[decided] >= self.threshold_) == y[decided]).mean()
                if decided.any()
                else 1.0
            ),
            "sensitivity_at_triage": float(
                (cal[y == 1] >= self.triage_threshold_).mean()
            ),
            "normals_deprioritised": float(
                (cal[normals] < self.triage_threshold_).mean()
            ),
        }


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _train_members(
    train: MedMnistSplit, p: XrayTriageParams, seeds: list[int]
) -> list[XrayNet]:
    """Train one member per seed, ``p.n_workers()`` at a time, within the budget.

    A member is started while none has finished yet or while one more, at
    the mean wall time of the finished members, fits ``p.time_budget_s``.
    Members come back in seed order, so the ensemble does not depend on the
    number of workers (only on how many fit the budget).
    """
    start, durations = time.perf_counter(), list[float]()
    workers = p.n_workers()

    def fits() -> bool:
        budget = p.time_budget_s
        if budget is None or not durations:
            return True
        return time.perf_counter() - start + float(np.mean(durations)) <= budget

    if workers == 1:
        nets = []
        for seed in seeds:
            if not fits():
                break
            began = time.perf_counter()
            nets.append(train_xray_net(train.images, train.labels, p.net, seed=seed))
            durations.append(time.perf_counter() - began)
        return nets
    # Spawned, not forked: a fork would copy the caller's torch thread pool.
    context = multiprocessing.get_context("spawn")
    done: dict[int, XrayNet] = {}
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        running: dict[Future[XrayNet], tuple[int, float]] = {}
        pending = list(enumerate(seeds))
        while pending or running:
            while pending and len(running) < workers and fits():
                index, seed = pending.pop(0)
                job = pool.submit(
                    train_xray_net, train.images, train.labels, p.net, seed=seed
                )
                running[job] = (index, time.perf_counter())
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for job in finished:
                index, began = running.pop(job)
                done[index] = job.result()
                durations.append(time.perf_counter() - began)
    return [done[i] for i in sorted(done)]
