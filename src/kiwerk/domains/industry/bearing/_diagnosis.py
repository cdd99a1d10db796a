"""Bearing fault diagnosis from spectral features, with a leak-free time split.

Each recording is cut in time: windows of the first ``train_fraction`` of the
samples train, windows of the rest test, and no window crosses the cut (so
overlapping windows never put the same samples on both sides). Features per
window and channel: log energy in ``n_bands`` equal bands of the amplitude
spectrum up to 6 kHz, the same for the envelope spectrum (Hilbert envelope, up
to 1 kHz, where bearing defect frequencies and their harmonics lie), and RMS,
kurtosis, skewness and crest factor. A random forest classifies them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import signal, stats
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score

from kiwerk.domains.industry.bearing._cwru import RATE_HZ, BearingRecording


@dataclass(frozen=True)
class DiagnosisParams:
    """Windows, features and the classifier.

    Attributes
    ----------
    window, stride
        Window length and step, in samples.
    train_fraction
        Share of each recording, from its start, used for training.
    n_bands
        Spectral bands per spectrum.
    n_trees
        Trees of the random forest.
    seed
        Seed of the forest.
    """

    window: int = 2048
    stride: int = 512
    train_fraction: float = 0.7
    n_bands: int = 48
    n_trees: int = 300
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.train_fraction < 1:
            raise ValueError("Expected train_fraction in (0, 1).")
        if self.window < 64 or self.stride < 1:
            raise ValueError("Expected window >= 64 and stride >= 1.")


def windows(x: NDArray[np.float64], window: int, stride: int) -> NDArray[np.float64]:
    """Windows ``(k, window, channels)`` lying wholly inside ``x``."""
    starts = np.arange(0, len(x) - window + 1, stride)
    return (
        np.stack([x[s : s + window] for s in starts])
        if len(starts)
        else np.zeros((0, window, x.shape[1]))
    )


def _bands(spec: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    edges = np.linspace(0, spec.shape[1], n + 1).astype(int)
    energy = np.add.reduceat(spec**2, edges[:-1], axis=1)
    return np.log(energy + 1e-12)


def features(w: NDArray[np.float64], n_bands: int) -> NDArray[np.float64]:
    """Spectral and statistical features of windows ``(k, window, channels)``."""
    _, n, c = w.shape
    freqs = np.fft.rfftfreq(n, 1 / RATE_HZ)
    x = w - w.mean(axis=1, keepdims=True)
    hann = np.hanning(n)[None, :, None]
    spec = np.abs(np.fft.rfft(x * hann, axis=1))
    env = np.abs(signal.hilbert(x, axis=1))
    env_spec = np.abs(
        np.fft.rfft((env - env.mean(axis=1, keepdims=True)) * hann, axis=1)
    )
    low = freqs <= 1000
    out = []
    for ch in range(c):
        rms = np.sqrt(np.mean(x[:, :, ch] ** 2, axis=1))
        out += [
            _bands(spec[:, :, ch], n_bands),
            _bands(env_spec[:, low, ch], n_bands // 2),
            np.column_stack(
                [
                    np.log(rms + 1e-12),
                    stats.kurtosis(x[:, :, ch], axis=1),
                    stats.skew(x[:, :, ch], axis=1),
                    np.abs(x[:, :, ch]).max(axis=1) / (rms + 1e-12),
                ]
            ),
        ]
    return np.column_stack(out)


@dataclass(frozen=True)
class DiagnosisSplit:
    """Train and test windows' features and labels."""

    x_train: NDArray[np.float64]
    y_train: NDArray[np.str_]
    x_test: NDArray[np.float64]
    y_test: NDArray[np.str_]


def time_split(
    recordings: list[BearingRecording], params: DiagnosisParams
) -> DiagnosisSplit:
    """Features of the windows before and after each recording's cut."""
    parts: dict[str, list[NDArray[np.float64]]] = {"xtr": [], "xte": []}
    ytr: list[str] = []
    yte: list[str] = []
    for rec in recordings:
        cut = int(len(rec.signals) * params.train_fraction)
        tr = features(
            windows(rec.signals[:cut], params.window, params.stride), params.n_bands
        )
        te = features(
            windows(rec.signals[cut:], params.window, params.stride), params.n_bands
        )
        parts["xtr"].append(tr)
        parts["xte"].append(te)
        ytr += [rec.label] * len(tr)
        yte += [rec.label] * len(te)
    return DiagnosisSplit(
        np.vstack(parts["xtr"]), np.array(ytr), np.vstack(parts["xte"]), np.array(yte)
    )


@dataclass(frozen=True)
class DiagnosisReport:
    """Test scores of the time-split diagnosis."""

    accuracy: float
    macro_f1: float
    n_train: int
    n_test: int
    labels: tuple[str, ...]
    per_class_f1: tuple[float, ...]


class BearingDiagnoser:
    """Spectral features + random forest: normal / inner race / outer race / ball."""

    def __init__(self, params: DiagnosisParams | None = None) -> None:
        self.params = params or DiagnosisParams()

    def fit(self, x: NDArray[np.float64], y: NDArray[np.str_]) -> BearingDiagnoser:
        """Train on feature rows ``x`` with labels ``y``."""
        self.model_ = RandomForestClassifier(
            n_estimators=self.params.n_trees, random_state=self.params.seed, n_jobs=1
        ).fit(x, y)
        return self

    def predict(self, x: NDArray[np.float64]) -> NDArray[np.str_]:
        """Predicted labels of feature rows."""
        out: NDArray[np.str_] = self.model_.predict(x)
        return out

    def evaluate(self, split: DiagnosisSplit) -> DiagnosisReport:
        """Fit on the train windows, score on the test windows."""
        self.fit(split.x_train, split.y_train)
        pred = self.predict(split.x_test)
        labels = tuple(sorted(set(split.y_train)))
        per = f1_score(split.y_test, pred, labels=list(labels), average=None)
        return DiagnosisReport(
            accuracy=float(accuracy_score(split.y_test, pred)),
            macro_f1=float(f1_score(split.y_test, pred, average="macro")),
            n_train=len(split.y_train),
            n_test=len(split.y_test),
            labels=labels,
            per_class_f1=tuple(float(v) for v in per),
        )


__all__ = [
    "BearingDiagnoser",
    "DiagnosisParams",
    "DiagnosisReport",
    "DiagnosisSplit",
    "features",
    "time_split",
    "windows",
]
