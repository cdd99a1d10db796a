"""DICOM ingestion into the governed pool, through the core and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pydicom
import pytest
import typer
from typer.testing import CliRunner

from kiwerk.core.data import Pool
from kiwerk.domains.health import dicom_key, dicom_manifest_spec, ingest_dicom
from kiwerk.errors import AccessDenied, DataFormatError
from kiwerk.interfaces.cli import health as health_cli

_NAMES = ("CompressedSamples", "Doe^Archibald", "Archibald", "9RG1", "1CT1")


@pytest.fixture
def pool(tmp_path: Path) -> Pool:
    """A fresh pool with org ``clinic``, owner ``ada`` and an empty DICOM dataset."""
    pool = Pool.open(tmp_path / "pool", secrets_path=tmp_path / "secrets.toml")
    pool.bootstrap("clinic", "ada")
    pool.create_dataset("cr", org="clinic", actor="ada", spec=dicom_manifest_spec())
    return pool


def _small_set(dicom_dir: Path, dst: Path) -> Path:
    dst.mkdir()
    for path in dicom_dir.glob("dicomdirtests_*.dcm"):
        shutil.copy(path, dst / path.name)
    shutil.copy(dicom_dir / "CT_small.dcm", dst / "CT_small.dcm")
    return dst


def test_ingest_writes_manifest_store_and_audit(
    pool: Pool, tmp_path: Path, dicom_dir: Path
) -> None:
    """Manifest version 1 lists the four images; the audit log names no patient."""
    src = _small_set(dicom_dir, tmp_path / "in")
    report = ingest_dicom(
        pool, src, "cr", actor="ada", key=dicom_key(b"k" * 32), store=tmp_path / "store"
    )
    assert report.version == 1
    frame = pool.read("cr", actor="ada", purpose="read")
    assert len(frame) == 4
    assert frame["patient"].nunique() == 2
    for name in frame["file"]:
        ds = pydicom.dcmread(report.store / name)
        assert ds.PatientIdentityRemoved == "YES"
    log = json.dumps([vars(e) for e in pool.audit.entries()], default=str)
    assert "dicom_ingest" in log
    assert not any(secret in log for secret in _NAMES)


def test_broken_file_leaves_pool_and_store_untouched(
    pool: Pool, tmp_path: Path, dicom_dir: Path
) -> None:
    """A truncated file: error, no version, no stored image."""
    src = _small_set(dicom_dir, tmp_path / "in")
    data = (src / "CT_small.dcm").read_bytes()
    (src / "CT_small.dcm").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match="truncated"):
        ingest_dicom(
            pool, src, "cr", actor="ada", key=dicom_key(b"k" * 32), store=tmp_path / "s"
        )
    assert pool.versions("cr", actor="ada") == []
    assert list((tmp_path / "s").iterdir()) == []


def test_user_without_role_stores_nothing(
    pool: Pool, tmp_path: Path, dicom_dir: Path
) -> None:
    """An unknown user is refused by the pool and the staged images are removed."""
    src = _small_set(dicom_dir, tmp_path / "in")
    with pytest.raises(AccessDenied):
        ingest_dicom(
            pool,
            src,
            "cr",
            actor="mallory",
            key=dicom_key(b"k" * 32),
            store=tmp_path / "s",
        )
    assert list((tmp_path / "s").iterdir()) == []


def test_cli_ingest_dicom(
    cli_env: Path, tmp_path: Path, dicom_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ingest-dicom`` creates the dataset, reports counts and lists quarantine."""
    monkeypatch.setenv("KIWERK_USER", "ada")
    Pool.open(cli_env / "pool", secrets_path=cli_env / "secrets.toml").bootstrap(
        "clinic", "ada"
    )
    src = _small_set(dicom_dir, tmp_path / "in")
    ds = pydicom.dcmread(src / "CT_small.dcm")
    ds.BurnedInAnnotation = "YES"
    ds.save_as(src / "CT_small.dcm")
    app = typer.Typer()
    app.command("ingest-dicom")(health_cli.ingest_dicom)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["ingest-dicom", str(src), "--dataset", "cr"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "3 images" in text
    assert "1 quarantined" in text
    assert "burned-in" in text
    assert len(list((cli_env / "dicom" / "cr").glob("*.dcm"))) == 3
