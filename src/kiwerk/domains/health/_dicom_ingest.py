"""De-identify a folder of DICOM files into a store, all or nothing.

Every file is read, its pixels decoded and windowed, and the dataset
de-identified in a staging folder first. Files that break the hospital's policy
(burned-in annotation, colour photographs, no pixel data, an odd window) are
quarantined: listed with the reason, never written. Files that are broken
(truncated, not DICOM, no decoder installed) raise one
:class:`~kiwerk.errors.DataFormatError` naming them all, and nothing is stored.
Messages name files by their path, or by hash where the path holds an
identifier; attribute values never appear.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from kiwerk.domains.health._deid import Deidentifier
from kiwerk.domains.health._dicom_read import read_dicom
from kiwerk.domains.health._dicom_window import display_image
from kiwerk.errors import DataFormatError

log = logging.getLogger(__name__)

#: Reasons (prefixes of DataFormatError messages) that quarantine instead of failing.
_POLICY = ("no pixel data", "colour image", "window ")
_IDENTIFYING = ("PatientName", "PatientID", "OtherPatientIDs", "AccessionNumber")


@dataclass(frozen=True)
class IngestedImage:
    """One de-identified image as stored (no identifying value in any field)."""

    file: str
    sha256: str
    patient: str
    study_uid: str
    series_uid: str
    sop_uid: str
    modality: str
    rows: int
    columns: int
    date_shift_days: int


@dataclass(frozen=True)
class QuarantineEntry:
    """A file kept out of the store, and why."""

    file: str
    sha256: str
    reason: str


@dataclass
class DicomIngestReport:
    """What :func:`deidentify_directory` stored and what it quarantined."""

    ingested: list[IngestedImage] = field(default_factory=list)
    quarantined: list[QuarantineEntry] = field(default_factory=list)

    def rows(self) -> list[dict[str, object]]:
        """The ingested images as plain rows (for the pool's manifest)."""
        return [vars(image).copy() for image in self.ingested]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def safe_name(path: Path, root: Path, ds: Dataset | None) -> str:
    """The file's path under ``root``, or its hash if the path shows an identifier."""
    rel = path.relative_to(root).as_posix()
    if ds is not None:
        for keyword in _IDENTIFYING:
            for part in str(ds.get(keyword, "") or "").replace("^", " ").split():
                if len(part) >= 3 and part.lower() in rel.lower():
                    return f"sha256:{_sha256(path)[:16]}"
    return rel


def _quarantine_reason(ds: Dataset, source: str) -> str | None:
    if str(ds.get("BurnedInAnnotation", "")).strip().upper() == "YES":
        return "burned-in annotation (0028,0301) = YES: pixels may show identifiers"
    if str(ds.get("RecognizableVisualFeatures", "")).strip().upper() == "YES":
        return "recognizable visual features (0028,0302) = YES"
    try:
        display_image(ds, source=source)
    except DataFormatError as exc:
        if exc.message.startswith(_POLICY):
            return f"{exc.message} (field {exc.field})"
        raise
    return None


def deidentify_directory(
    src: Path, out: Path, deidentifier: Deidentifier, *, pattern: str = "*.dcm"
) -> DicomIngestReport:
    """De-identify every DICOM file under ``src`` into ``out``.

    Parameters
    ----------
    src
        Folder searched recursively for ``pattern``.
    out
        Store folder; each image lands at ``<out>/<new SOP Instance UID>.dcm``.
    deidentifier
        Holds the secret key and the profile.
    pattern
        Glob for DICOM files.

    Returns
    -------
    DicomIngestReport
        The stored images and the quarantined files.

    Raises
    ------
    DataFormatError
        ``src`` has no file, or some files are broken; nothing is stored then.
    """
    files = sorted(p for p in src.rglob(pattern) if p.is_file())
    if not files:
        raise DataFormatError(f"no files matching {pattern!r}", source=str(src))
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f".staging-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        report, broken = _stage_all(files, src, staging, deidentifier)
        if broken:
            raise DataFormatError(
                f"{len(broken)} of {len(files)} files are broken, nothing stored: "
                + "; ".join(broken)
            )
        for image in report.ingested:
            (staging / image.file).replace(out / image.file)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info(
        "DICOM ingest: %d stored, %d quarantined",
        len(report.ingested),
        len(report.quarantined),
    )
    return report


def _stage_all(
    files: list[Path], root: Path, staging: Path, deidentifier: Deidentifier
) -> tuple[DicomIngestReport, list[str]]:
    report, broken = DicomIngestReport(), []
    for path in files:
        ds: Dataset | None = None
        try:
            ds = read_dicom(path)
            name = safe_name(path, root, ds)
            reason = _quarantine_reason(ds, name)
            if reason is not None:
                report.quarantined.append(QuarantineEntry(name, _sha256(path), reason))
                continue
            report.ingested.append(_stage_one(ds, staging, deidentifier))
        except DataFormatError as exc:
            name = safe_name(path, root, ds)
            broken.append(
                f"{name}: {exc.message}"
                + (f" (field {exc.field})" if exc.field else "")
            )
    return report, broken


def _stage_one(ds: Dataset, staging: Path, deidentifier: Deidentifier) -> IngestedImage:
    result = deidentifier.deidentify(ds)
    clean = result.dataset
    name = f"{clean.SOPInstanceUID}.dcm"
    target = staging / name
    clean.save_as(target, enforce_file_format=True)
    return IngestedImage(
        file=name,
        sha256=_sha256(target),
        patient=result.patient_pseudonym,
        study_uid=str(clean.get("StudyInstanceUID", "")),
        series_uid=str(clean.get("SeriesInstanceUID", "")),
        sop_uid=str(clean.SOPInstanceUID),
        modality=str(clean.get("Modality", "")),
        rows=int(clean.get("Rows", 0)),
        columns=int(clean.get("Columns", 0)),
        date_shift_days=result.date_shift_days,
    )
