"""De-identification of the real DICOM test files, checked attribute by attribute."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset

from kiwerk.domains.health import (
    Deidentifier,
    DicomIngestReport,
    deidentify_directory,
    load_basic_profile,
    pixel_values,
    read_dicom,
)

# Identifying values that SOURCE.md lists as present in the originals.
_IDENTIFYING = (
    "PatientName",
    "PatientID",
    "OtherPatientIDs",
    "PatientBirthDate",
    "InstitutionName",
    "InstitutionalDepartmentName",
    "ReferringPhysicianName",
    "StationName",
    "AccessionNumber",
    "DeviceSerialNumber",
    "OperatorsName",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
)


def _walk(ds: Dataset) -> list[tuple[int, object]]:
    """Every (tag, value) in ``ds`` and its sequences, depth first."""
    found: list[tuple[int, object]] = []
    for elem in ds:
        found.append((int(elem.tag), elem.value))
        if elem.VR == "SQ":
            for item in elem.value:
                found.extend(_walk(item))
    return found


@pytest.fixture(scope="module")
def deidentified(
    tmp_path_factory: pytest.TempPathFactory, dicom_dir: Path, deid_key: bytes
) -> tuple[DicomIngestReport, Path]:
    """The seven real files de-identified once into a fresh store."""
    out = tmp_path_factory.mktemp("deid")
    report = deidentify_directory(dicom_dir, out, Deidentifier(deid_key))
    return report, out


@pytest.fixture(scope="module")
def pairs(
    deidentified: tuple[DicomIngestReport, Path], dicom_dir: Path, deid_key: bytes
) -> list[tuple[str, Dataset, Dataset]]:
    """(name, original, de-identified) for every file, matched by remapped UID."""
    _, out = deidentified
    d = Deidentifier(deid_key)
    result: list[tuple[str, Dataset, Dataset]] = []
    for path in sorted(dicom_dir.glob("*.dcm")):
        original = read_dicom(path)
        clean = pydicom.dcmread(out / f"{d.remap_uid(original.SOPInstanceUID)}.dcm")
        result.append((path.name, original, clean))
    return result


def test_every_file_is_stored(deidentified: tuple[DicomIngestReport, Path]) -> None:
    """All seven real files are ingested, none quarantined, one output file each."""
    report, out = deidentified
    assert len(report.ingested) == 7
    assert report.quarantined == []
    assert sorted(p.name for p in out.iterdir()) == sorted(
        i.file for i in report.ingested
    )


def test_no_attribute_of_the_remove_list_survives(
    pairs: list[tuple[str, Dataset, Dataset]],
) -> None:
    """No X, X/Z, X/D, X/Z/D or X/Z/U* attribute is left, at any nesting depth."""
    profile = load_basic_profile()
    for name, _, clean in pairs:
        for tag, _value in _walk(clean) + _walk(clean.file_meta):
            entry = profile.action_for(tag)
            assert entry is None or not entry.removes, f"{name}: {entry} survived"


def test_no_private_tag_survives(pairs: list[tuple[str, Dataset, Dataset]]) -> None:
    """Private elements (179 in CT_small, 9 in each dicomdir CR) are all gone."""
    assert any(
        (tag >> 16) % 2 == 1 for _, original, _ in pairs for tag, _ in _walk(original)
    )
    for name, _, clean in pairs:
        private = [hex(t) for t, _ in _walk(clean) if (t >> 16) % 2 == 1]
        assert private == [], f"{name} keeps private tags {private[:5]}"


def test_z_and_d_attributes_are_emptied_or_replaced(
    pairs: list[tuple[str, Dataset, Dataset]],
) -> None:
    """Every Z / D / Z/D attribute that had a value no longer holds that value."""
    profile = load_basic_profile()
    checked = 0
    for name, original, clean in pairs:
        for elem in original:
            entry = profile.action_for(int(elem.tag))
            if entry is None or entry.action not in ("Z", "D", "Z/D") or not elem.value:
                continue
            after = clean.get(elem.tag)
            assert after is None or after.value != elem.value, f"{name}: {entry.name}"
            checked += 1
    assert checked >= 20


def test_uids_are_remapped_consistently(
    pairs: list[tuple[str, Dataset, Dataset]], deid_key: bytes
) -> None:
    """U attributes become the keyed 2.25 UID; one study stays one study."""
    d = Deidentifier(deid_key)
    for name, original, clean in pairs:
        for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
            before, after = str(original[keyword].value), str(clean[keyword].value)
            assert after == d.remap_uid(before) != before, f"{name} {keyword}"
            assert len(after) <= 64
        assert clean.file_meta.MediaStorageSOPInstanceUID == clean.SOPInstanceUID
    studies = {str(c.StudyInstanceUID) for n, _, c in pairs if n.startswith("dicomdir")}
    assert len(studies) == 1


def test_identifying_values_are_absent_from_the_bytes(
    deidentified: tuple[DicomIngestReport, Path],
    pairs: list[tuple[str, Dataset, Dataset]],
) -> None:
    """No original name, ID, institution or UID (≥ 4 chars) is in any output file."""
    _, out = deidentified
    blob = b"".join(p.read_bytes() for p in out.iterdir())
    for name, original, _ in pairs:
        for keyword in _IDENTIFYING:
            elem = original.data_element(keyword) if keyword in original else None
            value = str(elem.value) if elem is not None and elem.value else ""
            parts = value.split("^") if elem is not None and elem.VR == "PN" else []
            maker = str(original.get("Manufacturer", ""))
            for part in {value, *parts}:
                # The MR's institution "TOSHIBA" is in its retained Manufacturer.
                if len(part) >= 4 and part not in maker:
                    assert part.encode() not in blob, f"{name}: {keyword} leaked"


def test_dates_shift_by_one_amount_per_patient(
    pairs: list[tuple[str, Dataset, Dataset]], deid_key: bytes
) -> None:
    """StudyDate moves back by the patient's keyed shift; birth dates are emptied."""
    from datetime import date, timedelta

    d = Deidentifier(deid_key)
    shifts = set()
    for name, original, clean in pairs:
        assert not clean.get("PatientBirthDate"), name
        if not original.get("StudyDate"):
            continue
        shift = d.date_shift(f"PatientID:{original.PatientID}")
        before = date.fromisoformat(str(original.StudyDate))
        assert str(clean.StudyDate) == (before + timedelta(days=shift)).strftime(
            "%Y%m%d"
        )
        if name.startswith("dicomdir"):
            shifts.add(shift)
    assert len(shifts) == 1


def test_deidentification_is_recorded(
    pairs: list[tuple[str, Dataset, Dataset]],
) -> None:
    """Each output says PatientIdentityRemoved=YES and names the profile's codes."""
    for _, _, clean in pairs:
        assert clean.PatientIdentityRemoved == "YES"
        assert clean.LongitudinalTemporalInformationModified == "MODIFIED"
        codes = {item.CodeValue for item in clean.DeidentificationMethodCodeSequence}
        assert codes == {"113100", "113107"}


def test_pixels_survive_unchanged(pairs: list[tuple[str, Dataset, Dataset]]) -> None:
    """De-identification leaves the pixel values (also JPEG 2000) untouched."""
    for name, original, clean in pairs:
        before = pixel_values(original, source=name)
        after = pixel_values(clean, source=name)
        assert (before == after).all(), name


def test_file_without_meta_gets_a_standard_header(
    deidentified: tuple[DicomIngestReport, Path], deid_key: bytes, dicom_dir: Path
) -> None:
    """The ACR-NEMA style chest CR comes out with preamble and File Meta."""
    original = read_dicom(dicom_dir / "CR-MONO1-10-chest.dcm")
    _, out = deidentified
    uid = Deidentifier(deid_key).remap_uid(original.SOPInstanceUID)
    clean = pydicom.dcmread(out / f"{uid}.dcm")  # no force: a valid Part 10 file
    assert clean.file_meta.TransferSyntaxUID == pydicom.uid.ImplicitVRLittleEndian


def test_key_changes_every_pseudonym(deid_key: bytes) -> None:
    """Another key gives other UIDs, pseudonyms and date shifts."""
    a, b = Deidentifier(deid_key), Deidentifier(deid_key[::-1])
    assert a.remap_uid("1.2.3.4") != b.remap_uid("1.2.3.4")
    assert a.pseudonym("PatientID:9RG1") != b.pseudonym("PatientID:9RG1")
    with pytest.raises(ValueError, match="16 bytes"):
        Deidentifier(b"short")
