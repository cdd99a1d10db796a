"""Live monitoring of served models: drift per column over sliding windows.

Examples
--------
>>> from kiwerk.core.monitor.live import DriftMonitor
>>> DriftMonitor().state()["reference_ready"]
False
"""

from kiwerk.core.monitor.live._drift import DriftMonitor, LiveMonitorParams, distances

__all__ = ["DriftMonitor", "LiveMonitorParams", "distances"]
