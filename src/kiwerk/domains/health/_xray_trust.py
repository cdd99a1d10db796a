"""Trust for the X-ray triage: calibration, thresholds, abstaining and the KPI.

- Temperature scaling (Guo et al., 2017): one scalar ``T`` fitted on validation
  logits by maximum likelihood; ECE before and after.
- Youden's J on validation picks the decision threshold (steadier than the
  threshold of best validation accuracy on PneumoniaMNIST).
- An abstain band around the threshold routes uncertain studies to a
  radiologist; coverage vs accuracy shows what it costs.
- The KPI: the share of normal studies that can be deprioritised while
  sensitivity for pneumonia stays at or above a target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from sklearn.metrics import roc_curve


def sigmoid(x: NDArray[np.floating]) -> NDArray[np.float64]:
    """Numerically stable logistic function."""
    x = np.asarray(x, float)
    out: NDArray[np.float64] = np.exp(-np.logaddexp(0.0, -x))
    return out


def fit_temperature(logits: NDArray[np.floating], labels: NDArray[np.integer]) -> float:
    """The temperature ``T`` minimising the binary log loss of ``sigmoid(z / T)``.

    Examples
    --------
    >>> z = np.array([4.0, -4.0, 4.0, -4.0, 4.0]); y = np.array([1, 0, 0, 0, 1])
    >>> fit_temperature(z, y) > 1  # over-confident logits get softened
    True
    """
    z, y = np.asarray(logits, float).ravel(), np.asarray(labels, float).ravel()
    if z.shape != y.shape or z.size == 0:
        raise ValueError("Expected as many logits as labels, at least one.")

    def nll(log_t: float) -> float:
        s = z / np.exp(log_t)
        return float(np.mean(np.logaddexp(0.0, s) - y * s))

    res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(res.x))


def expected_calibration_error(
    probs: NDArray[np.floating], labels: NDArray[np.integer], *, bins: int = 15
) -> float:
    """ECE of the positive-class probability, equal-width bins on [0, 1].

    Examples
    --------
    >>> expected_calibration_error(np.array([0.9, 0.9]), np.array([1, 0]))
    0.4
    """
    p, y = np.asarray(probs, float).ravel(), np.asarray(labels, float).ravel()
    idx = np.minimum((p * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            ece += mask.mean() * abs(p[mask].mean() - y[mask].mean())
    return round(float(ece), 12)


def mean_label_auc(labels: NDArray[np.integer], scores: NDArray[np.floating]) -> float:
    """Mean ROC-AUC over label columns that have both classes (ChestMNIST's 14).

    Examples
    --------
    >>> y = np.array([[0, 1], [1, 1], [0, 1]]); s = np.array([[0, 1], [2, 0], [1, 3]])
    >>> mean_label_auc(y, s)  # the second column has one class and is skipped
    1.0
    """
    from sklearn.metrics import roc_auc_score

    y, s = np.asarray(labels), np.asarray(scores, float)
    if y.shape != s.shape or y.ndim != 2:
        raise ValueError(
            f"Expected matching N × L arrays, got {y.shape} and {s.shape}."
        )
    aucs = [
        roc_auc_score(y[:, k], s[:, k])
        for k in range(y.shape[1])
        if 0 < y[:, k].sum() < len(y)
    ]
    if not aucs:
        raise ValueError("No label column has both classes.")
    return float(np.mean(aucs))


def youden_threshold(
    scores: NDArray[np.floating], labels: NDArray[np.integer]
) -> float:
    """The score threshold maximising sensitivity + specificity − 1."""
    fpr, tpr, thr = roc_curve(np.asarray(labels).ravel(), np.asarray(scores).ravel())
    j = int(np.argmax(tpr - fpr))
    return float(min(thr[j], np.max(scores)))


def threshold_for_sensitivity(
    scores: NDArray[np.floating], labels: NDArray[np.integer], sensitivity: float
) -> float:
    """The highest threshold whose sensitivity on these scores is ≥ ``sensitivity``."""
    s, y = np.asarray(scores, float).ravel(), np.asarray(labels).ravel().astype(bool)
    if not y.any():
        raise ValueError("Expected at least one positive case.")
    positives = np.sort(s[y])
    k = int(np.floor((1.0 - sensitivity) * len(positives) + 1e-9))
    return float(positives[k])


@dataclass(frozen=True)
class TriageKpi:
    """Reading time the triage saves at a sensitivity floor."""

    target_sensitivity: float
    threshold: float
    sensitivity: float
    normals_deprioritised: float


def triage_kpi(
    scores: NDArray[np.floating],
    labels: NDArray[np.integer],
    threshold: float,
    target_sensitivity: float = 0.95,
) -> TriageKpi:
    """Sensitivity and share of normal studies below ``threshold``."""
    s, y = np.asarray(scores, float).ravel(), np.asarray(labels).ravel().astype(bool)
    return TriageKpi(
        target_sensitivity=target_sensitivity,
        threshold=threshold,
        sensitivity=float((s[y] >= threshold).mean()),
        normals_deprioritised=float((s[~y] < threshold).mean()),
    )


@dataclass(frozen=True)
class CoveragePoint:
    """One abstain band: its half-width, the share decided and their accuracy."""

    half_width: float
    coverage: float
    accuracy: float


def coverage_curve(
    probs: NDArray[np.floating],
    labels: NDArray[np.integer],
    threshold: float,
    half_widths: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4),
) -> list[CoveragePoint]:
    """Coverage and accuracy when studies with ``|p − threshold| < w`` are referred."""
    p, y = np.asarray(probs, float).ravel(), np.asarray(labels).ravel().astype(bool)
    out = []
    for w in half_widths:
        decided = np.abs(p - threshold) >= w
        acc = (
            float(((p[decided] >= threshold) == y[decided]).mean())
            if decided.any()
            else 1.0
        )
        out.append(CoveragePoint(w, float(decided.mean()), acc))
    return out


def choose_abstain_band(
    probs: NDArray[np.floating],
    labels: NDArray[np.integer],
    threshold: float,
    target_accuracy: float = 0.98,
) -> float:
    """Smallest half-width whose decided validation cases reach ``target_accuracy``."""
    widths = tuple(np.round(np.arange(0.0, 0.5, 0.01), 2))
    for point in coverage_curve(probs, labels, threshold, widths):
        if point.accuracy >= target_accuracy:
            return point.half_width
    return 0.5
