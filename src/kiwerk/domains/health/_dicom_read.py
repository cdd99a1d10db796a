"""Read DICOM files safely and turn their pixel data into arrays.

Reading translates every pydicom failure into a :class:`~kiwerk.errors.DataFormatError`
that names the file and the field, never an attribute value (values may identify a
patient). Pixel data becomes a float array in MONOCHROME2 orientation (bright =
dense) after the modality LUT (rescale slope and intercept); windowing is a
separate step.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pydicom
from numpy.typing import NDArray
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels.decoders.base import get_decoder
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from kiwerk.errors import DataFormatError

log = logging.getLogger(__name__)

#: What to ``pip install`` for a compressed transfer syntax, by UID prefix.
DECODER_HINTS = {
    "1.2.840.10008.1.2.4.5": "pylibjpeg-libjpeg (JPEG baseline/extended)",
    "1.2.840.10008.1.2.4.57": "pylibjpeg-libjpeg (JPEG lossless)",
    "1.2.840.10008.1.2.4.70": "pylibjpeg-libjpeg (JPEG lossless SV1)",
    "1.2.840.10008.1.2.4.8": "pyjpegls (JPEG-LS)",
    "1.2.840.10008.1.2.4.9": "pylibjpeg and pylibjpeg-openjpeg (JPEG 2000)",
    "1.2.840.10008.1.2.4.20": "pylibjpeg and pylibjpeg-openjpeg (HTJ2K)",
    "1.2.840.10008.1.2.5": "pylibjpeg-rle (RLE lossless)",
}

#: Elements any real DICOM image or object carries; a forced read needs one.
_MARKERS = (0x00080016, 0x00080018, 0x00280010, 0x7FE00010)


def decoder_hint(transfer_syntax: str) -> str:
    """The package to install for a transfer syntax, or a generic hint.

    Examples
    --------
    >>> decoder_hint("1.2.840.10008.1.2.4.80")
    'pyjpegls (JPEG-LS)'
    """
    for prefix in sorted(DECODER_HINTS, key=len, reverse=True):
        if transfer_syntax.startswith(prefix):
            return DECODER_HINTS[prefix]
    return "python-gdcm (covers most compressed transfer syntaxes)"


def read_dicom(path: Path) -> Dataset:
    """Read a DICOM file, also one without preamble or File Meta (ACR-NEMA style).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    pydicom.dataset.Dataset
        The dataset, with a File Meta group whose transfer syntax is set.

    Raises
    ------
    DataFormatError
        The file is empty, truncated or not DICOM at all.
    """
    source = path.name
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds: Dataset = pydicom.dcmread(path)
        except InvalidDicomError:
            ds = _forced_read(path)
        except (EOFError, OSError, ValueError, KeyError, TypeError) as exc:
            raise DataFormatError(
                f"unreadable or truncated DICOM file ({type(exc).__name__})",
                source=source,
            ) from exc
    for warning in caught:
        if "End of file" in str(warning.message):
            raise DataFormatError(
                "truncated DICOM file (ends inside a sequence or encapsulated data)",
                source=source,
            )
        log.debug("%s: pydicom warned (%s)", source, warning.category.__name__)
    short = _short_element(ds)
    if short is not None:
        raise DataFormatError(
            f"truncated DICOM file (element {short} shorter than its declared length)",
            source=source,
        )
    _ensure_file_meta(ds)
    return ds


def _short_element(ds: Dataset) -> str | None:
    """The first top-level element whose value is shorter than its length."""
    for tag in list(ds.keys()):
        elem = ds.get_item(tag, keep_deferred=True)
        if (
            isinstance(elem, RawDataElement)
            and elem.length != 0xFFFFFFFF
            and isinstance(elem.value, bytes)
            and len(elem.value) < elem.length
        ):
            return str(elem.tag)
    return None


def _forced_read(path: Path) -> Dataset:
    source = path.name
    try:
        ds = pydicom.dcmread(path, force=True)
    except Exception as exc:  # pydicom raises many types on garbage input
        raise DataFormatError(
            "not a DICOM file (no DICM preamble and no readable elements)",
            source=source,
        ) from exc
    if not any(tag in ds for tag in _MARKERS):
        raise DataFormatError(
            "not a DICOM file (no DICM preamble, no SOP class, rows or pixel data), "
            "or one cut before its first elements",
            source=source,
        )
    return ds


def _ensure_file_meta(ds: Dataset) -> None:
    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = FileMetaDataset()
    if "TransferSyntaxUID" not in ds.file_meta:
        implicit, _little = getattr(ds, "original_encoding", (True, True))
        ds.file_meta.TransferSyntaxUID = (
            ImplicitVRLittleEndian if implicit is not False else ExplicitVRLittleEndian
        )
    if "SOPClassUID" in ds and "MediaStorageSOPClassUID" not in ds.file_meta:
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    if "SOPInstanceUID" in ds and "MediaStorageSOPInstanceUID" not in ds.file_meta:
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID


def pixel_values(ds: Dataset, *, source: str) -> NDArray[np.float32]:
    """Decoded pixels after the modality LUT, in MONOCHROME2 orientation.

    MONOCHROME1 images (low values white) are inverted within their stored range so
    that, as in MONOCHROME2, higher means brighter.

    Parameters
    ----------
    ds
        The dataset (read with :func:`read_dicom`).
    source
        The file name used in error messages.

    Returns
    -------
    numpy.ndarray
        ``rows × columns`` (or ``frames × rows × columns``) float32.

    Raises
    ------
    DataFormatError
        No pixel data, a colour image, a missing decoder (naming the package to
        install) or pixel data shorter than the header says.
    """
    if "PixelData" not in ds and "FloatPixelData" not in ds:
        if "Rows" in ds or _is_image_class(ds):
            raise DataFormatError(
                "image header without pixel data (truncated or incomplete file)",
                source=source,
                field="PixelData",
            )
        raise DataFormatError(
            "no pixel data (not an image object)", source=source, field="PixelData"
        )
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    if int(ds.get("SamplesPerPixel", 1)) != 1 or photometric not in (
        "MONOCHROME1",
        "MONOCHROME2",
    ):
        raise DataFormatError(
            f"colour image ({photometric or 'unknown'}, "
            f"{ds.get('SamplesPerPixel', 1)} samples per pixel), not a grey-scale "
            "radiograph",
            source=source,
            field="PhotometricInterpretation",
        )
    syntax = UID(str(ds.file_meta.TransferSyntaxUID))
    if syntax.is_compressed and not get_decoder(syntax).is_available:
        raise DataFormatError(
            f"no decoder installed for transfer syntax {syntax} ({syntax.name}); "
            f"install {decoder_hint(str(syntax))}",
            source=source,
            field="TransferSyntaxUID",
        )
    try:
        raw = ds.pixel_array
    except Exception as exc:  # decoders raise ValueError, RuntimeError, ...
        truncated = "less than expected" in str(exc)
        raise DataFormatError(
            ("truncated pixel data" if truncated else "pixel data cannot be decoded")
            + f" ({type(exc).__name__}: {_first_line(exc)})",
            source=source,
            field="PixelData",
        ) from exc
    values = _modality_lut(ds, raw)
    if photometric == "MONOCHROME1":
        low, high = _stored_range(ds)
        values = (high + low) - values
    return values


def _is_image_class(ds: Dataset) -> bool:
    meta = getattr(ds, "file_meta", None)
    uids = [
        ds.get("SOPClassUID"),
        meta.get("MediaStorageSOPClassUID") if meta else None,
    ]
    return any(uid is not None and "Image" in UID(str(uid)).name for uid in uids)


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else ""


def _modality_lut(ds: Dataset, raw: NDArray[np.generic]) -> NDArray[np.float32]:
    slope = float(ds.get("RescaleSlope", 1.0) or 1.0)
    intercept = float(ds.get("RescaleIntercept", 0.0) or 0.0)
    return (raw.astype(np.float32) * np.float32(slope) + np.float32(intercept)).astype(
        np.float32
    )


def _stored_range(ds: Dataset) -> tuple[float, float]:
    """Range of modality values the stored bits can hold (after rescale)."""
    bits = int(ds.get("BitsStored", 16))
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    slope = float(ds.get("RescaleSlope", 1.0) or 1.0)
    intercept = float(ds.get("RescaleIntercept", 0.0) or 0.0)
    a, b = lo * slope + intercept, hi * slope + intercept
    return min(a, b), max(a, b)


def stored_range(ds: Dataset) -> tuple[float, float]:
    """Lowest and highest modality value the stored bits allow.

    Examples
    --------
    >>> ds = Dataset(); ds.BitsStored = 12; ds.PixelRepresentation = 0
    >>> stored_range(ds)
    (0.0, 4095.0)
    """
    return _stored_range(ds)
