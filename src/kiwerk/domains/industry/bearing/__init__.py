"""Bearing fault diagnosis on vibration data (CWRU)."""

from kiwerk.domains.industry.bearing._cwru import BearingRecording, read_cwru
from kiwerk.domains.industry.bearing._diagnosis import (
    BearingDiagnoser,
    DiagnosisParams,
    DiagnosisReport,
    DiagnosisSplit,
    features,
    time_split,
    windows,
)

__all__ = [
    "BearingDiagnoser",
    "BearingRecording",
    "DiagnosisParams",
    "DiagnosisReport",
    "DiagnosisSplit",
    "features",
    "read_cwru",
    "time_split",
    "windows",
]
