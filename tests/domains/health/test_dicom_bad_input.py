"""Bad DICOM input: clear errors or quarantine, nothing half-stored, no identifiers."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGLSLossless, SecondaryCaptureImageStorage, generate_uid

from kiwerk.domains.health import (
    Deidentifier,
    deidentify_directory,
    display_image,
    pixel_values,
    read_dicom,
    window_image,
)
from kiwerk.errors import DataFormatError

# Values that identify the (placeholder) patients of CT_small and MR_small.
_SECRETS = ("CompressedSamples", "1CT1", "4MR1", "JFK IMAGING", "CT1", "MR1")


def _edit(src: Path, dst: Path, change: Callable[[Dataset], None]) -> Path:
    ds = pydicom.dcmread(src)
    change(ds)
    ds.save_as(dst)
    return dst


def _no_pixels(ds: Dataset) -> None:
    del ds.PixelData


def _structured_report(ds: Dataset) -> None:
    for keyword in ("PixelData", "Rows", "Columns", "BitsAllocated", "BitsStored"):
        delattr(ds, keyword)
    basic_text_sr = pydicom.uid.UID("1.2.840.10008.5.1.4.1.1.88.11")
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = basic_text_sr


def _jpeg_ls(ds: Dataset) -> None:
    ds.file_meta.TransferSyntaxUID = JPEGLSLossless
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xf7" + b"\x00" * 60])
    ds["PixelData"].VR = "OB"


def _zero_window(ds: Dataset) -> None:
    ds.WindowCenter, ds.WindowWidth = 600, 0


def _far_window(ds: Dataset) -> None:
    ds.WindowCenter, ds.WindowWidth = 900000, 100


def _burned_in(ds: Dataset) -> None:
    ds.BurnedInAnnotation = "YES"


def _rgb_photo(ds: Dataset) -> None:
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.PhotometricInterpretation, ds.SamplesPerPixel, ds.PlanarConfiguration = (
        "RGB",
        3,
        0,
    )
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    for keyword in ("WindowCenter", "WindowWidth", "RescaleSlope", "RescaleIntercept"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.PixelData = (
        np.random.default_rng(0).integers(0, 255, (8, 8, 3), np.uint8).tobytes()
    )


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.fixture
def folder(tmp_path: Path, dicom_dir: Path) -> Path:
    """A folder with two good files (CT, MR) to which each test adds a bad one."""
    src = tmp_path / "in"
    src.mkdir()
    for name in ("CT_small.dcm", "MR_small.dcm"):
        shutil.copy(dicom_dir / name, src / name)
    return src


QUARANTINED = [
    pytest.param(_burned_in, "burned-in annotation", id="burned-in-annotation"),
    pytest.param(_structured_report, "no pixel data", id="object-without-pixel-data"),
    pytest.param(_zero_window, "window width 0", id="16bit-zero-window"),
    pytest.param(_far_window, "outside the stored range", id="16bit-window-off-range"),
    pytest.param(_rgb_photo, "colour image (RGB", id="rgb-photo-as-dicom"),
]


@pytest.mark.parametrize(("change", "reason"), QUARANTINED)
def test_policy_breaks_are_quarantined(
    folder: Path,
    tmp_path: Path,
    deid_key: bytes,
    change: Callable[[Dataset], None],
    reason: str,
) -> None:
    """The odd file is listed with its reason and not stored; the good ones are."""
    _edit(folder / "MR_small.dcm", folder / "odd.dcm", change)
    report = deidentify_directory(folder, tmp_path / "out", Deidentifier(deid_key))
    assert [q.file for q in report.quarantined] == ["odd.dcm"]
    assert reason in report.quarantined[0].reason
    assert len(report.ingested) == 2
    assert len(list((tmp_path / "out").iterdir())) == 2


def _write_text(path: Path) -> None:
    path.write_text("PatientName,CompressedSamples^CT1\n", encoding="utf-8")


def _write_png(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)


BROKEN = [
    pytest.param(
        lambda p: _edit(p, p, _no_pixels),
        "without pixel data",
        id="image-without-pixel-data",
    ),
    pytest.param(
        lambda p: _edit(p, p, _jpeg_ls),
        "install pyjpegls",
        id="jpeg-ls-without-decoder",
    ),
    pytest.param(_truncate, "truncated", id="truncated-file"),
    pytest.param(_write_text, "not a DICOM file", id="csv-named-dcm"),
    pytest.param(_write_png, "not a DICOM file", id="png-photo-named-dcm"),
]


@pytest.mark.parametrize(("spoil", "message"), BROKEN)
def test_broken_files_stop_the_ingest_and_store_nothing(
    folder: Path,
    tmp_path: Path,
    deid_key: bytes,
    caplog: pytest.LogCaptureFixture,
    spoil: Callable[[Path], object],
    message: str,
) -> None:
    """One broken file: an error naming it and the cause; the store stays empty."""
    bad = folder / "zz_bad.dcm"
    shutil.copy(folder / "CT_small.dcm", bad)
    spoil(bad)
    out = tmp_path / "out"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DataFormatError, match=message) as info:
        deidentify_directory(folder, out, Deidentifier(deid_key))
    assert "zz_bad.dcm" in str(info.value)
    assert list(out.iterdir()) == []
    for text in (str(info.value), caplog.text):
        assert not any(secret in text for secret in _SECRETS)


def test_file_named_after_the_patient_is_reported_by_hash(
    folder: Path, tmp_path: Path, deid_key: bytes
) -> None:
    """A quarantined file whose name holds the patient's name is listed by hash."""
    _edit(folder / "CT_small.dcm", folder / "CompressedSamples_CT1.dcm", _burned_in)
    report = deidentify_directory(folder, tmp_path / "out", Deidentifier(deid_key))
    assert report.quarantined[0].file.startswith("sha256:")
    assert "CompressedSamples" not in repr(report)


def test_empty_folder_is_an_error(tmp_path: Path, deid_key: bytes) -> None:
    """A folder without DICOM files is refused, not silently accepted."""
    with pytest.raises(DataFormatError, match="no files"):
        deidentify_directory(tmp_path, tmp_path / "out", Deidentifier(deid_key))


def _mono(photometric: str, values: list[int]) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.SOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 1, len(values), 1
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PhotometricInterpretation = photometric
    ds.RescaleSlope, ds.RescaleIntercept = 2, -100
    ds.PixelData = np.array(values, np.uint16).tobytes()
    return ds


def test_monochrome1_is_inverted_after_rescale() -> None:
    """MONOCHROME1 maps low stored values to high ones; slope and intercept apply."""
    m2 = pixel_values(_mono("MONOCHROME2", [0, 4095]), source="m2")
    m1 = pixel_values(_mono("MONOCHROME1", [0, 4095]), source="m1")
    assert m2.tolist() == [[-100.0, 8090.0]]
    assert m1.tolist() == [[8090.0, -100.0]]


def test_real_monochrome1_chest_is_bright_where_dense(dicom_dir: Path) -> None:
    """In the displayed CR chest the (dense) mediastinum is brighter than the lungs."""
    ds = read_dicom(dicom_dir / "CR-MONO1-10-chest.dcm")
    img = display_image(ds, source="cr")
    h, w = img.shape
    mediastinum = img[h // 3 : 2 * h // 3, w // 2 - 15 : w // 2 + 15].mean()
    lungs = img[h // 3 : 2 * h // 3, w // 5 : w // 3].mean()
    assert mediastinum > lungs + 0.1


def test_window_refuses_width_below_one() -> None:
    """The DICOM linear window needs width ≥ 1."""
    with pytest.raises(ValueError, match="width >= 1"):
        window_image(np.zeros(3), center=10, width=0.5)
