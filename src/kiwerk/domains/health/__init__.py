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
from kiwerk.domains.health._dicom_pool import (
    DicomPoolReport,
    dicom_key,
    dicom_manifest_spec,
    ingest_dicom,
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
from kiwerk.domains.health._survival import (
    SurvivalData,
    SurvivalParams,
    SurvivalReport,
    cross_validate_survival,
    load_survival,
    make_survival_model,
)
from kiwerk.domains.health._survival_explain import (
    PatientRisk,
    patient_risks,
    plot_survival_curves,
    risk_drivers,
)
from kiwerk.domains.health._survival_pilot import (
    make_survival_forest,
    survival_features,
    survival_pilot,
)
from kiwerk.domains.health._xray_explain import (
    OodGate,
    corrupt,
    grad_cam,
    overlay_png,
    pooled_features,
    save_overlay,
)
from kiwerk.domains.health._xray_net import (
    XrayNet,
    XrayNetParams,
    augment,
    predict_logits,
    to_tensor,
    train_xray_net,
)
from kiwerk.domains.health._xray_onnx import xray_to_onnx
from kiwerk.domains.health._xray_pilot import (
    XrayPilotModel,
    images_of,
    make_xray_model,
    medmnist_frame,
    xray_pilot,
)
from kiwerk.domains.health._xray_triage import XrayTriage, XrayTriageParams
from kiwerk.domains.health._xray_trust import (
    CoveragePoint,
    TriageKpi,
    choose_abstain_band,
    coverage_curve,
    expected_calibration_error,
    fit_temperature,
    mean_label_auc,
    sigmoid,
    threshold_for_sensitivity,
    triage_kpi,
    youden_threshold,
)

__all__ = [
    "BasicProfile",
    "CoveragePoint",
    "DeidParams",
    "DeidResult",
    "Deidentifier",
    "DicomIngestReport",
    "DicomPoolReport",
    "IngestedImage",
    "MedMnist",
    "MedMnistSplit",
    "OodGate",
    "PatientRisk",
    "ProfileEntry",
    "QuarantineEntry",
    "SurvivalData",
    "SurvivalParams",
    "SurvivalReport",
    "TriageKpi",
    "XrayNet",
    "XrayNetParams",
    "XrayPilotModel",
    "XrayTriage",
    "XrayTriageParams",
    "augment",
    "choose_abstain_band",
    "corrupt",
    "coverage_curve",
    "cross_validate_survival",
    "decoder_hint",
    "deidentify_directory",
    "dicom_key",
    "dicom_manifest_spec",
    "display_image",
    "expected_calibration_error",
    "file_window",
    "fit_temperature",
    "grad_cam",
    "images_of",
    "ingest_dicom",
    "load_basic_profile",
    "load_medmnist",
    "load_survival",
    "make_survival_forest",
    "make_survival_model",
    "make_xray_model",
    "mean_label_auc",
    "medmnist_frame",
    "overlay_png",
    "patient_risks",
    "pixel_values",
    "plot_survival_curves",
    "pooled_features",
    "predict_logits",
    "read_dicom",
    "risk_drivers",
    "safe_name",
    "save_overlay",
    "sigmoid",
    "stored_range",
    "survival_features",
    "survival_pilot",
    "threshold_for_sensitivity",
    "to_tensor",
    "train_xray_net",
    "triage_kpi",
    "window_image",
    "xray_pilot",
    "xray_to_onnx",
    "youden_threshold",
]
