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
    # numpy, not pandas, arithmetic: the same float64 operations in the same
    # order (so the same bits), without pandas' per-operation overhead, which
    # dominated single-row serving
    quality = frame["Type"].astype(str).to_numpy(dtype=object)
    unknown = sorted(set(quality) - set(TYPES))
    if unknown:
        raise ValueError(f"Expected Type in {list(TYPES)}, got {unknown}.")
    code = {t: float(i) for i, t in enumerate(TYPES)}
    air, process, speed, torque, wear = (
        frame[c].to_numpy(dtype=np.float64) for c in PROCESS_COLUMNS
    )
    strain = wear * torque
    limit = np.array([OVERSTRAIN_LIMIT[q] for q in quality], dtype=np.float64)
    columns = (
        np.array([code[q] for q in quality], dtype=np.float64),
        air,
        process,
        speed,
        torque,
        wear,
        torque * speed * 2.0 * np.pi / 60.0,
        process - air,
        strain,
        strain / limit,
    )
    return pd.DataFrame(
        np.column_stack(columns).reshape(len(frame), len(FEATURES)),
        columns=list(FEATURES),
        index=frame.index,
    )
