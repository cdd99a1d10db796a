"""Windowing (VOI LUT) of radiographs: the file's window or the data range.

The linear window of DICOM PS3.3 C.11.2.1.2.1 maps modality values to [0, 1].
An odd window (width below 1, not a number, or lying wholly outside what the
stored bits can hold) is refused with the field named, not silently used.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from kiwerk.domains.health._dicom_read import pixel_values, stored_range
from kiwerk.errors import DataFormatError


def window_image(
    values: NDArray[np.floating], center: float, width: float
) -> NDArray[np.float32]:
    """Apply the DICOM linear window; result in [0, 1].

    Parameters
    ----------
    values
        Modality values (after rescale).
    center, width
        Window centre and width; width must be at least 1.

    Returns
    -------
    numpy.ndarray
        float32 in [0, 1].

    Examples
    --------
    >>> window_image(np.array([0.0, 50.0, 100.0]), center=50.5, width=101).round(2)
    array([0. , 0.5, 1. ], dtype=float32)
    """
    if not (math.isfinite(center) and math.isfinite(width)) or width < 1:
        raise ValueError(f"Expected a finite window with width >= 1, got {width}.")
    if width == 1:
        return (values > center - 0.5).astype(np.float32)
    low = center - 0.5 - (width - 1) / 2
    scaled = (values - (center - 0.5)) / (width - 1) + 0.5
    out = np.where(values <= low, 0.0, np.clip(scaled, 0.0, 1.0))
    return out.astype(np.float32)


def _first(value: object) -> float:
    if isinstance(value, str | bytes | int | float):
        return float(value)
    return float(value[0])  # type: ignore[index]


def file_window(ds: Dataset, *, source: str) -> tuple[float, float] | None:
    """The first window (centre, width) stored in the file, checked; None if absent.

    Raises
    ------
    DataFormatError
        The window is not a number, narrower than 1 or outside the stored range.
    """
    if "WindowCenter" not in ds or "WindowWidth" not in ds:
        return None
    try:
        center, width = _first(ds.WindowCenter), _first(ds.WindowWidth)
    except (TypeError, ValueError, IndexError) as exc:
        raise DataFormatError(
            "window centre/width is not a number", source=source, field="WindowWidth"
        ) from exc
    if not (math.isfinite(center) and math.isfinite(width)) or width < 1:
        raise DataFormatError(
            f"window width {width} is invalid (DICOM requires >= 1)",
            source=source,
            field="WindowWidth",
        )
    lo, hi = stored_range(ds)
    if center + width / 2 < lo or center - width / 2 > hi:
        raise DataFormatError(
            f"window [{center - width / 2:g}, {center + width / 2:g}] lies outside "
            f"the stored range [{lo:g}, {hi:g}]",
            source=source,
            field="WindowCenter",
        )
    return center, width


def display_image(ds: Dataset, *, source: str) -> NDArray[np.float32]:
    """Pixels as a [0, 1] grey image, bright = dense, windowed as the file says.

    Without a stored window the 0.5–99.5 % percentiles of the image are used.
    For MONOCHROME1 the stored window is mirrored along with the pixels.

    Raises
    ------
    DataFormatError
        Problems with the pixel data (see :func:`pixel_values`) or an odd window.
    """
    values = pixel_values(ds, source=source)
    window = file_window(ds, source=source)
    if window is None:
        lo, hi = (float(v) for v in np.percentile(values, [0.5, 99.5]))
        return window_image(
            values, center=(lo + hi) / 2 + 0.5, width=max(hi - lo, 1.0) + 1
        )
    center, width = window
    if str(ds.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1":
        lo, hi = stored_range(ds)
        center = (hi + lo) - center + 1  # mirror of the window on the inverted axis
    return window_image(values, center=center, width=width)
