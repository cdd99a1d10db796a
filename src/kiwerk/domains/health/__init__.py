"""Health domain: DICOM de-identification, chest X-ray triage and survival risk.

- DICOM: :func:`read_dicom`, :func:`display_image`, :class:`Deidentifier` (PS3.15
  Annex E Basic Profile with keyed UIDs and per-patient date shifts) and
  :func:`deidentify_directory` (all-or-nothing ingest with a quarantine).
- X-ray triage on MedMNIST: :func:`load_medmnist`, :class:`XrayNet`.
"""

from kiwerk.domains.health._deid import Deidentifier, DeidParams, DeidResult
from kiwerk.domains.health._deid_profile import (
    BasicProfile,
    ProfileEntry,
    load_basic_profile,
)
from kiwerk.domains.health._dicom_ingest import (
    DicomIngestReport,
    IngestedImage,
    QuarantineEntry,
    deidentify_directory,
    safe_name,
)
from kiwerk.domains.health._dicom_read import (
    decoder_hint,
    pixel_values,
    read_dicom,
    stored_range,
)
from kiwerk.domains.health._dicom_window import display_image, file_window, window_image
from kiwerk.domains.health._medmnist import (
    MedMnist,
    MedMnistSplit,
    load_medmnist,
)
from kiwerk.domains.health._xray_net import (
    XrayNet,
    XrayNetParams,
    augment,
    predict_logits,
    to_tensor,
    train_xray_net,
)

__all__ = [
    "BasicProfile",
    "DeidParams",
    "DeidResult",
    "Deidentifier",
    "DicomIngestReport",
    "IngestedImage",
    "MedMnist",
    "MedMnistSplit",
    "ProfileEntry",
    "QuarantineEntry",
    "XrayNet",
    "XrayNetParams",
    "augment",
    "decoder_hint",
    "deidentify_directory",
    "display_image",
    "file_window",
    "load_basic_profile",
    "load_medmnist",
    "pixel_values",
    "predict_logits",
    "read_dicom",
    "safe_name",
    "stored_range",
    "to_tensor",
    "train_xray_net",
    "window_image",
]
