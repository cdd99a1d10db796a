"""Bearing diagnosis: windows never cross the cut; real CWRU reaches the target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiwerk.domains.industry.bearing import (
    BearingDiagnoser,
    BearingRecording,
    DiagnosisParams,
    features,
    read_cwru,
    time_split,
    windows,
)


def test_windows_stay_inside_the_signal() -> None:
    """Every window is whole; the last one ends at or before the end."""
    x = np.arange(10.0)[:, None]
    w = windows(x, 4, 3)
    assert w[:, :, 0].tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]


def test_time_split_never_shares_samples_across_the_cut() -> None:
    """Train windows come from the first 70 %, test windows from the rest."""
    n = 10_000
    sig = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    rec = BearingRecording("x.mat", "normal", sig, 0)
    params = DiagnosisParams(window=256, stride=128, n_bands=8)
    cut = int(n * 0.7)
    tr = windows(sig[:cut], 256, 128)
    te = windows(sig[cut:], 256, 128)
    assert tr[:, :, 0].max() < cut <= te[:, :, 0].min()
    split = time_split([rec], params)
    assert len(split.y_train) == len(tr)
    assert len(split.y_test) == len(te)


def test_features_separate_tones_of_different_frequency() -> None:
    """A 500 Hz and a 3 kHz tone land in different spectral bands."""
    t = np.arange(2048) / 12_000
    w = np.stack(
        [np.column_stack([np.sin(2 * np.pi * f * t)] * 2) for f in (500, 3000)]
    )
    f = features(w, 12)
    assert f.shape[0] == 2
    assert np.argmax(f[0, :12]) == 1  # 500 Hz: second band of 500 Hz each
    assert np.argmax(f[1, :12]) == 6


def test_diagnoser_learns_synthetic_faults() -> None:
    """Impulse trains at different rates (fault frequencies) are told apart."""
    rng = np.random.default_rng(0)
    recs = []
    for label, rate in [("normal", 0), ("inner_race_007", 160), ("ball_007", 70)]:
        sig = 0.1 * rng.normal(size=(40_000, 2))
        if rate:
            idx = np.arange(0, 40_000, 12_000 // rate)
            sig[idx] += 3.0
        recs.append(BearingRecording(f"{label}.mat", label, sig, 0))
    params = DiagnosisParams(window=1024, stride=512, n_bands=16, n_trees=50)
    report = BearingDiagnoser(params).evaluate(time_split(recs, params))
    assert report.macro_f1 > 0.9


@pytest.mark.slow
def test_cwru_time_split_macro_f1(data_dir: Path) -> None:
    """CWRU 0 HP, 10 classes, 70/30 time split: macro-F1 >= 0.95."""
    recs = read_cwru(data_dir / "cwru")
    assert len({r.label for r in recs}) == 10
    assert all(r.signals.shape[1] == 2 for r in recs)
    params = DiagnosisParams(n_trees=100)
    report = BearingDiagnoser(params).evaluate(time_split(recs, params))
    assert report.macro_f1 >= 0.95
    assert len(report.labels) == 10
