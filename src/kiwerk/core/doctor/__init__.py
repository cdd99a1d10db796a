"""``kiwerk doctor``: check a deployment's parts and say what is wrong.

:func:`run_checks` takes the values to check (built from the settings by the
CLI) and returns one :class:`Check` per part: metadata database (reachable,
migrations at head), MLflow tracking, MQTT broker, Ray cluster, secrets,
data folder and disk space.
"""

from kiwerk.core.doctor._checks import (
    Check,
    DoctorParams,
    check_broker,
    check_disk,
    check_folders,
    check_metadata,
    check_ray,
    check_secrets,
    check_tracking,
    run_checks,
)

__all__ = [
    "Check",
    "DoctorParams",
    "check_broker",
    "check_disk",
    "check_folders",
    "check_metadata",
    "check_ray",
    "check_secrets",
    "check_tracking",
    "run_checks",
]
