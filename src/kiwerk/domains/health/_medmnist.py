"""MedMNIST loaders: PneumoniaMNIST (binary) and ChestMNIST (14 findings).

Both subsets ship as one ``np.savez_compressed`` file with the official
``train``/``val``/``test`` splits under the keys ``<split>_images`` and
``<split>_labels`` (Yang et al., *Scientific Data* 10:41, 2023). The loader
checks that layout and says which file and key are wrong when it is not.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from kiwerk.errors import DataFormatError, DatasetUnavailable

Split = Literal["train", "val", "test"]
SPLITS: tuple[Split, ...] = ("train", "val", "test")

#: Number of labels per subset; PneumoniaMNIST is binary (normal 0, pneumonia 1).
N_LABELS = {"pneumoniamnist": 1, "chestmnist": 14}

#: The 14 ChestMNIST findings in the order of the label columns (NIH ChestX-ray14).
CHEST_FINDINGS = (
    "atelectasis",
    "cardiomegaly",
    "effusion",
    "infiltration",
    "mass",
    "nodule",
    "pneumonia",
    "pneumothorax",
    "consolidation",
    "edema",
    "emphysema",
    "fibrosis",
    "pleural",
    "hernia",
)


@dataclass(frozen=True)
class MedMnistSplit:
    """Images (``N × H × W`` uint8) and labels (``N × L`` uint8) of one split."""

    images: NDArray[np.uint8]
    labels: NDArray[np.uint8]

    def __len__(self) -> int:
        """Number of images."""
        return int(self.images.shape[0])


@dataclass(frozen=True)
class MedMnist:
    """A MedMNIST subset with its three official splits."""

    name: str
    train: MedMnistSplit
    val: MedMnistSplit
    test: MedMnistSplit

    @property
    def n_labels(self) -> int:
        """1 for a binary task, 14 for ChestMNIST."""
        return int(self.train.labels.shape[1])

    def split(self, split: Split) -> MedMnistSplit:
        """The named split."""
        return {"train": self.train, "val": self.val, "test": self.test}[split]


def load_medmnist(path: Path, *, limit: int | None = None) -> MedMnist:
    """Load a MedMNIST ``.npz`` file (``pneumoniamnist.npz``, ``chestmnist.npz``).

    Parameters
    ----------
    path
        The ``.npz`` file; its stem names the subset.
    limit
        Keep only the first ``limit`` images of each split (for quick runs).

    Returns
    -------
    MedMnist
        The three splits, images ``N × H × W`` uint8, labels ``N × L`` uint8.

    Raises
    ------
    DatasetUnavailable
        The file does not exist.
    DataFormatError
        The file is not an ``.npz`` archive or a key is missing or malformed.
    """
    if not path.is_file():
        raise DatasetUnavailable(
            "MedMNIST file not found; download it from zenodo.org/records/10519652",
            source=str(path),
        )
    name = path.stem.removesuffix("_28").lower()
    try:
        with np.load(path, allow_pickle=False) as archive:
            splits = {s: _read_split(archive, s, path, limit) for s in SPLITS}
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        if isinstance(exc, DataFormatError):
            raise
        raise DataFormatError(
            f"not a MedMNIST .npz archive ({exc})", source=str(path)
        ) from exc
    widths = {s: v.labels.shape[1] for s, v in splits.items()}
    if len(set(widths.values())) != 1:
        raise DataFormatError(
            f"label widths differ between splits: {widths}", source=str(path)
        )
    expected = N_LABELS.get(name)
    if expected is not None and widths["train"] != expected:
        raise DataFormatError(
            f"{name} needs {expected} label columns, found {widths['train']}",
            source=str(path),
            field="train_labels",
        )
    return MedMnist(name=name, **splits)


def _read_split(
    archive: np.lib.npyio.NpzFile, split: Split, path: Path, limit: int | None
) -> MedMnistSplit:
    keys = (f"{split}_images", f"{split}_labels")
    for key in keys:
        if key not in archive.files:
            raise DataFormatError("missing array", source=str(path), field=key)
    images = np.asarray(archive[keys[0]])
    labels = np.asarray(archive[keys[1]])
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataFormatError(
            f"expected N × H × W uint8 grey images, got {images.shape} {images.dtype}",
            source=str(path),
            field=keys[0],
        )
    if labels.ndim == 1:
        labels = labels[:, None]
    if labels.ndim != 2 or labels.shape[0] != images.shape[0]:
        raise DataFormatError(
            f"labels {labels.shape} do not match {images.shape[0]} images",
            source=str(path),
            field=keys[1],
        )
    if labels.size and (labels.min() < 0 or labels.max() > 1):
        raise DataFormatError("labels must be 0 or 1", source=str(path), field=keys[1])
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return MedMnistSplit(images=images.astype(np.uint8), labels=labels.astype(np.uint8))
