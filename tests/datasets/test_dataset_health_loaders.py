"""PneumoniaMNIST and DICOM-sample loaders on tiny fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiwerk.datasets import load_dicom_samples, load_pneumoniamnist
from kiwerk.errors import DataFormatError

SIZES = {"train": 5, "val": 2, "test": 3}


def _arrays(**overrides: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    arrays: dict[str, np.ndarray] = {}
    for split, n in SIZES.items():
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, 2, (n, 1), dtype=np.uint8)
    arrays.update(overrides)
    return arrays


def _save(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    with (folder / "pneumoniamnist.npz").open("wb") as out:
        np.savez_compressed(out, allow_pickle=False, **arrays)


def test_pneumoniamnist_splits_are_arrays(tmp_path: Path) -> None:
    """Each split has (n, 28, 28) uint8 images and flat uint8 labels."""
    arrays = _arrays()
    _save(tmp_path, arrays)
    data = load_pneumoniamnist(directory=tmp_path)
    assert [len(data.train), len(data.val), len(data.test)] == [5, 2, 3]
    assert data.val.images.shape == (2, 28, 28)
    assert data.test.labels.shape == (3,)
    np.testing.assert_array_equal(data.train.labels, arrays["train_labels"].ravel())
    assert data.classes == ("normal", "pneumonia")


def test_pneumoniamnist_missing_split_names_array(tmp_path: Path) -> None:
    """An archive without ``val_labels`` names that array."""
    arrays = _arrays()
    del arrays["val_labels"]
    _save(tmp_path, arrays)
    with pytest.raises(DataFormatError, match="val_labels"):
        load_pneumoniamnist(directory=tmp_path)


def test_pneumoniamnist_unknown_class_is_refused(tmp_path: Path) -> None:
    """A label outside {0, 1} is a format error."""
    bad = np.array([[0], [2]], dtype=np.uint8)
    _save(tmp_path, _arrays(val_labels=bad))
    with pytest.raises(DataFormatError, match="label 2"):
        load_pneumoniamnist(directory=tmp_path)


def test_pneumoniamnist_not_npz(tmp_path: Path) -> None:
    """A file that is not an npz archive says so."""
    (tmp_path / "pneumoniamnist.npz").write_bytes(b"not a zip at all")
    with pytest.raises(DataFormatError, match=r"pneumoniamnist\.npz"):
        load_pneumoniamnist(directory=tmp_path)


DICOM_NAMES = [
    "RG1_J2KI.dcm",
    "CR-MONO1-10-chest.dcm",
    "CT_small.dcm",
    "MR_small.dcm",
    "dicomdirtests_77654033_CR1_6154.dcm",
    "dicomdirtests_77654033_CR2_6247.dcm",
    "dicomdirtests_77654033_CR3_6278.dcm",
]


@pytest.fixture
def dicom_dir(tmp_path: Path) -> Path:
    """Files with DICOM's markers: a 128-byte preamble + DICM, or ACR-NEMA."""
    for name in DICOM_NAMES:
        head = (
            b"\x08\x00\x00\x00" if name.startswith("CR-MONO") else bytes(128) + b"DICM"
        )
        (tmp_path / name).write_bytes(head + bytes(16))
    return tmp_path


def test_dicom_samples_list_paths_and_metadata(dicom_dir: Path) -> None:
    """Samples come with modality, size and the study they belong to."""
    samples = load_dicom_samples(directory=dicom_dir)
    assert [s.path.name for s in samples] == DICOM_NAMES
    chest = [s for s in samples if s.body_part == "CHEST"]
    assert {s.modality for s in chest} == {"CR"}
    study = [s for s in samples if s.study == "77654033"]
    assert len(study) == 3
    assert next(s for s in samples if s.modality == "CT").private_tags == 179
    assert (
        next(s for s in samples if s.needs_force).path.name == "CR-MONO1-10-chest.dcm"
    )


def test_dicom_sample_without_marker_is_refused(dicom_dir: Path) -> None:
    """A file that lacks the DICM marker is named."""
    (dicom_dir / "CT_small.dcm").write_bytes(b"GIF89a" + bytes(200))
    with pytest.raises(DataFormatError, match=r"CT_small\.dcm.*DICM"):
        load_dicom_samples(directory=dicom_dir)
