"""Live monitoring of served models: drift per column over sliding windows,
performance once ground truth arrives, and alert delivery.

Examples
--------
>>> from kiwerk.core.monitor.live import DriftMonitor
>>> DriftMonitor().state()["reference_ready"]
False
"""

from kiwerk.core.monitor.live._alerts import AlertDispatcher, AlertParams
from kiwerk.core.monitor.live._drift import DriftMonitor, LiveMonitorParams, distances
from kiwerk.core.monitor.live._performance import (
    PerformanceMonitor,
    PerformanceParams,
    pick_output,
    window_metrics,
)

__all__ = [
    "AlertDispatcher",
    "AlertParams",
    "DriftMonitor",
    "LiveMonitorParams",
    "PerformanceMonitor",
    "PerformanceParams",
    "distances",
    "pick_output",
    "window_metrics",
]
