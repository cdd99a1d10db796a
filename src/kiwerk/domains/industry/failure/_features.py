"""Physics features of the AI4I 2020 milling process.

The dataset's failure mechanisms are physical: heat dissipation depends on the
air–process temperature difference and the spindle speed, power failures on
the mechanical power torque × ω, and overstrain on tool wear × torque against
a limit that depends on the product quality (L/M/H). Giving the model these
quantities lets it find the mechanisms from few failures. Only process
measurements enter: identifiers and the failure-mode labels never do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Raw process columns a request carries (besides ``Type``).
PROCESS_COLUMNS = (
    "Air temperature [K]",
    "Process temperature [K]",
    "Rotational speed [rpm]",
    "Torque [Nm]",
    "Tool wear [min]",
)
TYPES = ("L", "M", "H")
#: Tool wear × torque (min·Nm) at which each product quality overstrains.
OVERSTRAIN_LIMIT = {"L": 11_000.0, "M": 12_000.0, "H": 13_000.0}

FEATURES = (
    "quality",
    "air_temp_K",
    "process_temp_K",
    "speed_rpm",
    "torque_Nm",
    "tool_wear_min",
    "power_W",
    "temp_diff_K",
    "strain_minNm",
    "overstrain_ratio",
)


def physics_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Model inputs of AI4I rows: process measurements and derived physics.

    Parameters
    ----------
    frame
        Rows with ``Type`` and the five process columns; other columns
        (identifiers, labels) are ignored.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FEATURES`, same index as ``frame``.

    Examples
    --------
    >>> row = pd.DataFrame({"Type": ["L"], "Air temperature [K]": [300.0],
    ...     "Process temperature [K]": [308.0], "Rotational speed [rpm]": [1500],
    ...     "Torque [Nm]": [40.0], "Tool wear [min]": [100]})
    >>> f = physics_features(row)
    >>> round(f["power_W"][0]), float(f["temp_diff_K"][0])
    (6283, 8.0)
    >>> round(float(f["overstrain_ratio"][0]), 3)
    0.364
    """
    quality = frame["Type"].astype(str)
    unknown = sorted(set(quality) - set(TYPES))
    if unknown:
        raise ValueError(f"Expected Type in {list(TYPES)}, got {unknown}.")
    air = frame["Air temperature [K]"].astype(float)
    process = frame["Process temperature [K]"].astype(float)
    speed = frame["Rotational speed [rpm]"].astype(float)
    torque = frame["Torque [Nm]"].astype(float)
    wear = frame["Tool wear [min]"].astype(float)
    strain = wear * torque
    return pd.DataFrame(
        {
            "quality": quality.map({t: float(i) for i, t in enumerate(TYPES)}),
            "air_temp_K": air,
            "process_temp_K": process,
            "speed_rpm": speed,
            "torque_Nm": torque,
            "tool_wear_min": wear,
            "power_W": torque * speed * 2.0 * np.pi / 60.0,
            "temp_diff_K": process - air,
            "strain_minNm": strain,
            "overstrain_ratio": strain / quality.map(OVERSTRAIN_LIMIT),
        },
        index=frame.index,
    )
