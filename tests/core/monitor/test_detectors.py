"""The vectorised MEWMA, drift and change-point detectors on synthetic streams."""

from __future__ import annotations

import numpy as np
import pytest

from kiwerk.core.monitor import (
    MeanShiftDetector,
    MeanShiftParams,
    MewmaDetector,
    MewmaParams,
    SensorDriftDetector,
    SensorDriftParams,
)


def _correlated(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    """n ticks of m machines with 4 sensors driven by one shared load."""
    load = rng.normal(size=(n, m, 1))
    noise = 0.3 * rng.normal(size=(n, m, 4))
    out: np.ndarray = load * np.array([1.0, 0.8, -0.6, 0.5]) + noise
    return out


def test_mewma_batched_equals_one_machine_at_a_time() -> None:
    """Scoring 3 machines in one call gives the same T² as 3 separate detectors."""
    rng = np.random.default_rng(0)
    data = _correlated(rng, 200, 3)
    params = MewmaParams(n_fit=100)
    together = MewmaDetector(3, 4, params)
    apart = [MewmaDetector(1, 4, params) for _ in range(3)]
    for t in range(200):
        res = together.update(np.arange(3), data[t])
        for i in range(3):
            one = apart[i].update(np.array([0]), data[t, i : i + 1])
            np.testing.assert_allclose(one.score, res.score[i : i + 1], equal_nan=True)


def test_mewma_alarm_attribution_and_no_learning_of_fault() -> None:
    """A lasting fault on sensor 2 keeps alarming, and sensor 2 dominates T²."""
    rng = np.random.default_rng(1)
    data = _correlated(rng, 700, 1)
    data[500:, 0, 2] += 3.0
    det = MewmaDetector(1, 4, MewmaParams(n_fit=300, adapt_rate=0.01))
    alarms, contrib = [], []
    for t in range(700):
        res = det.update(np.array([0]), data[t])
        alarms.append(bool(res.alarm[0]))
        contrib.append(res.contributions[0])
    assert not any(alarms[300:500])
    assert all(alarms[520:])  # the fault is never absorbed into the normal model
    assert int(np.argmax(contrib[650])) == 2
    assert np.sum(contrib[650]) == pytest.approx(
        det.update(np.array([0]), data[699]).score[0], rel=0.2
    )


def test_mewma_ignores_machines_not_in_the_call() -> None:
    """A machine absent from a call keeps its state untouched."""
    det = MewmaDetector(2, 2, MewmaParams(n_fit=10))
    det.update(np.array([0, 1]), np.ones((2, 2)))
    det.update(np.array([0]), np.full((1, 2), 5.0))
    assert det.count_.tolist() == [2, 1]
    np.testing.assert_allclose(det.z_[1], [1.0, 1.0])


def test_mewma_params_are_checked() -> None:
    """Out-of-range settings raise ValueError."""
    with pytest.raises(ValueError, match="smoothing"):
        MewmaParams(smoothing=0.0)
    with pytest.raises(ValueError, match="n_fit"):
        MewmaParams(n_fit=3)


def _run_drift(fault: str) -> tuple[list[int], list[bool]]:
    rng = np.random.default_rng(2)
    data = _correlated(rng, 1500, 1)
    ramp = np.clip((np.arange(1500) - 500) / 1000, 0, None)
    if fault == "drift":
        data[:, 0, 1] += 4.0 * ramp  # one sensor drifts slowly
    elif fault == "step":
        data[800:, 0, 1] += 3.0  # one sensor jumps: a fault, not a drift
    else:
        data[800:, 0, :] += np.array([2.0, -2.0, 2.0, -2.0])  # the machine fails
    det = MewmaDetector(1, 4, MewmaParams(n_fit=400, off_count=5))
    drift = SensorDriftDetector(det, SensorDriftParams())
    recal: list[int] = []
    alarms: list[bool] = []
    for t in range(1500):
        res = det.update(np.array([0]), data[t])
        recal += [r.sensor for r in drift.update(np.array([0]), res)]
        alarms.append(bool(res.alarm[0]))
    return recal, alarms


def test_slow_sensor_drift_is_recalibrated_not_alarmed() -> None:
    """A slowly drifting sensor 1 is recalibrated and raises no lasting alarm."""
    recal, alarms = _run_drift("drift")
    assert recal
    assert set(recal) == {1}
    assert sum(alarms[1000:]) < 50  # a failing machine alarms on all 500


def test_failing_machine_alarms_without_recalibration() -> None:
    """A shift of every sensor alarms and is never taken for a drift."""
    recal, alarms = _run_drift("failure")
    assert recal == []
    assert all(alarms[820:])


def test_abrupt_single_sensor_step_alarms_without_recalibration() -> None:
    """A sudden jump of one sensor is an alarm, never recalibrated away."""
    recal, alarms = _run_drift("step")
    assert recal == []
    assert all(alarms[820:])


def test_mean_shift_detects_steps_in_any_sensor() -> None:
    """Steps up and down are found, each once, within a window of the step."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 2, 3))
    x[300:, 0, 1] += 6.0
    x[450:, 1, 2] -= 6.0
    det = MeanShiftDetector(2, 3, MeanShiftParams(window=10, n_fit=200))
    hits = np.array([det.update(np.arange(2), x[t]) for t in range(600)])
    assert np.flatnonzero(hits[:, 0]).tolist() == [
        t for t in range(300, 311) if hits[t, 0]
    ]
    assert 300 <= np.flatnonzero(hits[:, 0])[0] <= 310
    assert 450 <= np.flatnonzero(hits[:, 1])[0] <= 460
    assert hits[:, 0].sum() == 1
    assert hits[:, 1].sum() == 1
