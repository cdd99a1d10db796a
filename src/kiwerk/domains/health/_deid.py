"""De-identify DICOM datasets per the PS3.15 Basic Profile with keyed remapping.

On top of the Basic Profile (:mod:`kiwerk.domains.health._deid_profile`) this
applies the *Retain Longitudinal Temporal Information with Modified Dates*
option: every date is shifted by a per-patient number of days, so intervals
within one patient survive. UIDs become ``2.25.<128-bit HMAC>``, patient IDs a
keyed pseudonym; the same key gives the same output for the same input, across
files and runs, and without the key the mapping cannot be reversed or redone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

from kiwerk.domains.health._deid_profile import BasicProfile, load_basic_profile

#: DCM codes recorded in De-identification Method Code Sequence (PS3.16 CID 7050).
_METHOD_CODES = (
    ("113100", "Basic Application Confidentiality Profile"),
    ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
)
_DATE = re.compile(r"^(\d{4})[.\-]?(\d{2})[.\-]?(\d{2})")
_PATIENT_BIRTH_DATE = 0x00100030
_TEXT_DUMMY = "ANONYMIZED"
_NUMERIC_VRS = {"US", "SS", "UL", "SL", "FL", "FD", "IS", "DS", "UV", "SV", "AT"}
_BYTES_VRS = {"OB", "OW", "OF", "OD", "OL", "OV", "UN", "OB or OW", "US or OW"}


@dataclass(frozen=True)
class DeidParams:
    """How to de-identify.

    Parameters
    ----------
    max_date_shift_days
        Dates move back by 1 … this many days, the same amount for one patient.
    remove_private
        Remove all private elements (the Basic Profile requires it).
    """

    max_date_shift_days: int = 3650
    remove_private: bool = True

    def __post_init__(self) -> None:
        if self.max_date_shift_days < 1:
            raise ValueError(
                f"Expected max_date_shift_days >= 1, got {self.max_date_shift_days}."
            )


@dataclass(frozen=True)
class DeidResult:
    """A de-identified dataset and what the ingest needs to know about it."""

    dataset: Dataset
    patient_pseudonym: str
    date_shift_days: int
    burned_in_annotation: str
    removed: int


class Deidentifier:
    """Apply the Basic Profile with a secret key.

    Parameters
    ----------
    key
        Secret HMAC key (at least 16 bytes), held by the pool, never stored with
        the data.
    params
        Date-shift range and private-tag policy.
    profile
        The profile table; the packaged Table E.1-1 by default.

    Examples
    --------
    >>> d = Deidentifier(b"k" * 32)
    >>> other = Deidentifier(b"x" * 32)
    >>> d.remap_uid("1.2.3") == d.remap_uid("1.2.3") != other.remap_uid("1.2.3")
    True
    >>> d.remap_uid("1.2.3").startswith("2.25.")
    True
    """

    def __init__(
        self,
        key: bytes,
        params: DeidParams | None = None,
        profile: BasicProfile | None = None,
    ) -> None:
        if len(key) < 16:
            raise ValueError("Expected a de-identification key of at least 16 bytes.")
        self._key = key
        self.params = params or DeidParams()
        self.profile = profile or load_basic_profile()

    def _digest(self, purpose: str, value: str) -> bytes:
        return hmac.new(
            self._key, f"{purpose}\x00{value}".encode(), hashlib.sha256
        ).digest()

    def remap_uid(self, uid: str) -> str:
        """The replacement UID: ``2.25.`` + a 128-bit keyed hash (≤ 44 characters)."""
        return "2.25." + str(
            int.from_bytes(self._digest("uid", uid.strip())[:16], "big")
        )

    def pseudonym(self, patient_key: str) -> str:
        """A stable keyed pseudonym for a patient, e.g. ``P3f9c…`` (17 characters)."""
        return "P" + self._digest("patient", patient_key).hex()[:16]

    def date_shift(self, patient_key: str) -> int:
        """Days (negative) by which this patient's dates move."""
        n = int.from_bytes(self._digest("date", patient_key)[:8], "big")
        return -(1 + n % self.params.max_date_shift_days)

    def deidentify(self, ds: Dataset) -> DeidResult:
        """De-identify ``ds`` in place and return it with its pseudonym.

        Parameters
        ----------
        ds
            A dataset read by :func:`~kiwerk.domains.health.read_dicom`.

        Returns
        -------
        DeidResult
            The same dataset object, now de-identified.
        """
        patient_key = _patient_key(ds)
        pseudonym = self.pseudonym(patient_key)
        shift = self.date_shift(patient_key)
        burned_in = str(ds.get("BurnedInAnnotation", "")).strip().upper() or "UNKNOWN"
        if self.params.remove_private:
            ds.remove_private_tags()
        removed = self._apply(ds, shift)
        ds.PatientID = pseudonym
        ds.PatientName = pseudonym
        ds.PatientIdentityRemoved = "YES"
        ds.LongitudinalTemporalInformationModified = "MODIFIED"
        ds.DeidentificationMethod = (
            "kiwerk PS3.15 E.1 Basic Profile; modified dates; keyed UIDs"
        )
        ds.DeidentificationMethodCodeSequence = Sequence(
            [_code(value, meaning) for value, meaning in _METHOD_CODES]
        )
        meta = getattr(ds, "file_meta", None)
        if meta is not None and "SOPInstanceUID" in ds:
            meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        return DeidResult(ds, pseudonym, shift, burned_in, removed)

    def _apply(self, ds: Dataset, shift: int) -> int:
        removed = 0
        for elem in list(ds):
            entry = self.profile.action_for(elem.tag)
            if entry is not None and entry.removes:
                del ds[elem.tag]
                removed += 1
                continue
            if elem.VR == "SQ":
                if entry is not None and entry.action != "U":
                    elem.value = Sequence()  # Z or D on a sequence: no items
                else:
                    removed += sum(self._apply(item, shift) for item in elem.value)
                continue
            if elem.VR in ("DA", "DT"):
                keep = elem.tag != _PATIENT_BIRTH_DATE
                elem.value = _shift_dates(elem.value, shift, elem.VR) if keep else ""
            elif entry is not None:
                self._replace(elem, entry.action)
        return removed

    def _replace(self, elem: DataElement, action: str) -> None:
        if action == "U" or elem.VR == "UI":
            elem.value = _map_values(elem.value, self.remap_uid)
        elif action == "Z":
            elem.value = b"" if elem.VR in _BYTES_VRS else None
        else:  # D or Z/D: a dummy value of the element's VR
            elem.value = _dummy(elem.VR)


def _code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = meaning
    return item


def _patient_key(ds: Dataset) -> str:
    for keyword in ("PatientID", "StudyInstanceUID", "SOPInstanceUID"):
        value = str(ds.get(keyword, "") or "").strip()
        if value:
            return f"{keyword}:{value}"
    return "unknown"


def _map_values(value: object, fn: Callable[[str], str]) -> object:
    if isinstance(value, MultiValue | list):
        return [fn(str(v)) for v in value if str(v)]
    return fn(str(value)) if value else value


def _dummy(vr: str) -> object:
    if vr in ("TM",):
        return "000000.00"
    if vr in _NUMERIC_VRS:
        return 0
    if vr in _BYTES_VRS:
        return b"\x00\x00"
    return _TEXT_DUMMY


def _shift_one(value: str, shift: int, vr: str) -> str:
    match = _DATE.match(value.strip())
    if not match:
        return ""
    try:
        day = date(*(int(g) for g in match.groups())) + timedelta(days=shift)
    except ValueError:
        return ""
    rest = value.strip()[match.end() :] if vr == "DT" else ""
    return day.strftime("%Y%m%d") + rest


def _shift_dates(value: object, shift: int, vr: str) -> object:
    if isinstance(value, MultiValue | list):
        return [_shift_one(str(v), shift, vr) for v in value]
    return _shift_one(str(value), shift, vr) if value else value
