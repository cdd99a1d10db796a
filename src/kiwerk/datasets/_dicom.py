"""Public DICOM sample files: paths plus what their ``SOURCE.md`` records.

Reading the files (pydicom) belongs to the health domain; this module only
says where they are and what each one is, so tests of de-identification can
pick the right file (private tags, multi-image study, JPEG 2000, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiwerk.errors import DataFormatError

_JPEG2000 = "1.2.840.10008.1.2.4.91"
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_IMPLICIT_LE = "1.2.840.10008.1.2"


@dataclass(frozen=True)
class DicomSample:
    """One DICOM sample file and its recorded metadata.

    Attributes
    ----------
    path
        The ``.dcm`` file.
    modality
        ``CR``, ``CT`` or ``MR``.
    body_part
        ``CHEST``, ``CSPINE`` or ``""`` when not recorded.
    rows, columns
        Image size in pixels.
    transfer_syntax
        Transfer syntax UID (``CR-MONO1-10-chest`` has none stated; it is
        ACR-NEMA style, read as implicit VR little endian with ``force=True``).
    photometric
        ``MONOCHROME1`` (low values white) or ``MONOCHROME2``.
    needs_force
        True when the file has no preamble/File Meta (``dcmread(force=True)``).
    private_tags
        Number of private elements (for tests of private-tag removal).
    study
        A study key shared by files of one study (the 3 C-spine CR images).
    """

    path: Path
    modality: str
    body_part: str
    rows: int
    columns: int
    transfer_syntax: str
    photometric: str
    needs_force: bool = False
    private_tags: int = 0
    study: str = ""


# From dicom/SOURCE.md ("Verified contents"), keyed by file name.
_SAMPLES: dict[str, tuple[str, str, int, int, str, str, bool, int, str]] = {
    "RG1_J2KI.dcm": ("CR", "CHEST", 1955, 1841, _JPEG2000, "MONOCHROME1", False, 0, ""),
    "CR-MONO1-10-chest.dcm": (
        "CR", "CHEST", 440, 440, _IMPLICIT_LE, "MONOCHROME1", True, 0, "",
    ),
    "CT_small.dcm": ("CT", "", 128, 128, _EXPLICIT_LE, "MONOCHROME2", False, 179, ""),
    "MR_small.dcm": ("MR", "", 64, 64, _EXPLICIT_LE, "MONOCHROME2", False, 0, ""),
    "dicomdirtests_77654033_CR1_6154.dcm": (
        "CR", "CSPINE", 16, 16, _EXPLICIT_LE, "MONOCHROME1", False, 9, "77654033",
    ),
    "dicomdirtests_77654033_CR2_6247.dcm": (
        "CR", "CSPINE", 16, 16, _EXPLICIT_LE, "MONOCHROME1", False, 9, "77654033",
    ),
    "dicomdirtests_77654033_CR3_6278.dcm": (
        "CR", "CSPINE", 16, 16, _EXPLICIT_LE, "MONOCHROME1", False, 9, "77654033",
    ),
}  # fmt: skip


def _looks_like_dicom(path: Path, *, needs_force: bool) -> bool:
    with path.open("rb") as stream:
        head = stream.read(132)
    if needs_force:
        # No preamble: an ACR-NEMA file starts with a group-0008 element.
        return head[:2] == b"\x08\x00"
    return head[128:132] == b"DICM"


def load_dicom_samples(*, directory: Path) -> tuple[DicomSample, ...]:
    """The DICOM samples, in a fixed order, each checked to look like DICOM.

    Raises
    ------
    DataFormatError
        A file is missing or lacks the DICOM ``DICM`` marker.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> samples = load_dicom_samples(directory=Settings().data / "dicom")
    ... # doctest: +SKIP
    >>> [s.path.name for s in samples if s.body_part == "CHEST"]  # doctest: +SKIP
    ['RG1_J2KI.dcm', 'CR-MONO1-10-chest.dcm']
    """
    samples = []
    for name, meta in _SAMPLES.items():
        modality, body, rows, cols, syntax, photometric, force, private, study = meta
        path = directory / name
        if not path.is_file():
            raise DataFormatError("DICOM sample is missing", source=str(path))
        if not _looks_like_dicom(path, needs_force=force):
            raise DataFormatError("not a DICOM file (no DICM marker)", source=str(path))
        samples.append(
            DicomSample(
                path=path,
                modality=modality,
                body_part=body,
                rows=rows,
                columns=cols,
                transfer_syntax=syntax,
                photometric=photometric,
                needs_force=force,
                private_tags=private,
                study=study,
            )
        )
    return tuple(samples)
