"""DICOM ingestion into the governed data pool.

The de-identified files go to a DICOM store beside the pool (one folder per
dataset, files named by their new SOP Instance UID); the pool gets a versioned
manifest with one row per image (pseudonymous patient, remapped UIDs, modality,
size, sha256 of the stored file). Quarantined files are recorded in the audit
log by safe name and reason only. The de-identification key is derived from the
pool's pseudonymisation key, so UIDs and pseudonyms are stable per pool.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kiwerk.core.data import ColumnSpec, DatasetSpec, Pool
from kiwerk.domains.health._deid import Deidentifier, DeidParams
from kiwerk.domains.health._dicom_ingest import DicomIngestReport, deidentify_directory

_MANIFEST = DatasetSpec(
    columns=(
        ColumnSpec("file", "str", nullable=False, unique=True),
        ColumnSpec("sha256", "str", nullable=False),
        ColumnSpec("patient", "str", nullable=False),
        ColumnSpec("study_uid", "str"),
        ColumnSpec("series_uid", "str"),
        ColumnSpec("sop_uid", "str", nullable=False, unique=True),
        ColumnSpec("modality", "str"),
        ColumnSpec("rows", "int", min=0),
        ColumnSpec("columns", "int", min=0),
        ColumnSpec("date_shift_days", "int", max=0),
    ),
    strict=True,
)


def dicom_manifest_spec() -> DatasetSpec:
    """The manifest's contract: one row per stored image, unique file and SOP UID.

    Examples
    --------
    >>> [c.name for c in dicom_manifest_spec().columns][:3]
    ['file', 'sha256', 'patient']
    """
    return _MANIFEST


def dicom_key(pseudonym_key: bytes) -> bytes:
    """The de-identification key derived from a pool's pseudonymisation key.

    Examples
    --------
    >>> len(dicom_key(b"k" * 32))
    32
    """
    return hmac.new(pseudonym_key, b"kiwerk/dicom-deid/v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class DicomPoolReport:
    """The pool version written and what was stored or quarantined."""

    dataset: str
    version: int
    content_hash: str
    store: Path
    images: DicomIngestReport


def ingest_dicom(
    pool: Pool,
    src: Path,
    dataset: str,
    *,
    actor: str,
    key: bytes,
    store: Path,
    params: DeidParams | None = None,
) -> DicomPoolReport:
    """De-identify the DICOM files under ``src`` and ingest their manifest.

    Parameters
    ----------
    pool
        The governed pool; the dataset must exist (see :func:`dicom_manifest_spec`).
    src
        Folder of ``.dcm`` files (searched recursively).
    dataset
        The pool dataset receiving the manifest.
    actor
        The acting user (needs the analyst role on the dataset's organisation).
    key
        De-identification key, e.g. :func:`dicom_key` of the pool's key.
    store
        Root of the DICOM store; files land in ``<store>/<dataset>/``.
    params
        De-identification settings.

    Returns
    -------
    DicomPoolReport
        Version and content hash of the manifest, plus the per-file report.

    Raises
    ------
    DataFormatError
        Broken files (nothing stored), or no file left after quarantine.
    AccessDenied, NotFound
        From the pool, before anything is kept.
    """
    store.mkdir(parents=True, exist_ok=True)
    staging = store / f".staging-{uuid.uuid4().hex}"
    try:
        images = deidentify_directory(src, staging, Deidentifier(key, params))
        with tempfile.TemporaryDirectory() as tmp:
            manifest = Path(tmp) / "manifest.csv"
            pd.DataFrame(
                images.rows(), columns=[c.name for c in _MANIFEST.columns]
            ).to_csv(manifest, index=False)
            report = pool.ingest(manifest, dataset, actor=actor)
        target = store / dataset
        target.mkdir(parents=True, exist_ok=True)
        for image in images.ingested:
            (staging / image.file).replace(target / image.file)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pool.audit.append(
        actor,
        "dicom_ingest",
        dataset,
        {
            "version": report.version,
            "stored": len(images.ingested),
            "quarantined": [
                {"file": q.file, "sha256": q.sha256, "reason": q.reason}
                for q in images.quarantined
            ],
        },
    )
    return DicomPoolReport(dataset, report.version, report.content_hash, target, images)
