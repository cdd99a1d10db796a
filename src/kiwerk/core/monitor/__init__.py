"""Domain-agnostic streaming monitors: anomaly, change-point and drift detectors.

Every detector keeps its state in arrays indexed by machine (or any other
stream key), so one call scores one new vector for many streams at once;
:mod:`kiwerk.core.monitor._skab_metrics` holds SKAB's evaluation metrics.
"""

from kiwerk.core.monitor._changepoint import MeanShiftDetector, MeanShiftParams
from kiwerk.core.monitor._drift import (
    Recalibration,
    SensorDriftDetector,
    SensorDriftParams,
)
from kiwerk.core.monitor._mewma import MewmaDetector, MewmaParams, MewmaResult
from kiwerk.core.monitor._skab_metrics import (
    BinaryScores,
    binary_scores,
    changepoints_from_labels,
    nab_score,
    nab_windows,
)

__all__ = [
    "BinaryScores",
    "MeanShiftDetector",
    "MeanShiftParams",
    "MewmaDetector",
    "MewmaParams",
    "MewmaResult",
    "Recalibration",
    "SensorDriftDetector",
    "SensorDriftParams",
    "binary_scores",
    "changepoints_from_labels",
    "nab_score",
    "nab_windows",
]
