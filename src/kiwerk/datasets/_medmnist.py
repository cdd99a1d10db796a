"""MedMNIST PneumoniaMNIST: 28×28 paediatric chest X-rays in official splits."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiwerk.errors import DataFormatError

PNEUMONIA_CLASSES = ("normal", "pneumonia")
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ImageSplit:
    """Images and labels of one split.

    Attributes
    ----------
    images
        ``(n, 28, 28)`` uint8 grey values, no channel axis.
    labels
        ``(n,)`` uint8 class indices into :data:`PNEUMONIA_CLASSES`.
    """

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        """Number of images."""
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class PneumoniaMnist:
    """PneumoniaMNIST's official train/val/test splits (4708/524/624).

    Attributes
    ----------
    train, val, test
        The splits; val is a 9:1 cut of the source training set, test is the
        source's own test set.
    classes
        Label names by index: ``0`` normal, ``1`` pneumonia.
    """

    train: ImageSplit
    val: ImageSplit
    test: ImageSplit
    classes: tuple[str, ...] = PNEUMONIA_CLASSES


def _split(arrays: np.lib.npyio.NpzFile, split: str, path: Path) -> ImageSplit:
    for key in (f"{split}_images", f"{split}_labels"):
        if key not in arrays.files:
            raise DataFormatError(f"missing array {key}", source=str(path), field=key)
    images = arrays[f"{split}_images"]
    labels = arrays[f"{split}_labels"].reshape(-1)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataFormatError(
            f"expected (n, h, w) uint8 images, found {images.shape} {images.dtype}",
            source=str(path),
            field=f"{split}_images",
        )
    if len(images) != len(labels):
        raise DataFormatError(
            f"{len(images)} images but {len(labels)} labels",
            source=str(path),
            field=f"{split}_labels",
        )
    if labels.size and int(labels.max()) >= len(PNEUMONIA_CLASSES):
        raise DataFormatError(
            f"label {int(labels.max())} outside {PNEUMONIA_CLASSES}",
            source=str(path),
            field=f"{split}_labels",
        )
    return ImageSplit(images=images, labels=labels.astype(np.uint8))


def load_pneumoniamnist(*, directory: Path) -> PneumoniaMnist:
    """Load ``pneumoniamnist.npz`` (no pickles are allowed in it).

    Raises
    ------
    DataFormatError
        The file is not an ``.npz`` archive or lacks a split.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> data = load_pneumoniamnist(directory=Settings().data / "medmnist")
    ... # doctest: +SKIP
    >>> len(data.train), data.test.images.shape  # doctest: +SKIP
    (4708, (624, 28, 28))
    """
    path = directory / "pneumoniamnist.npz"
    try:
        with np.load(path, allow_pickle=False) as arrays:
            train, val, test = (_split(arrays, s, path) for s in SPLITS)
    except DataFormatError:
        raise
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DataFormatError(f"not an .npz archive: {exc}", source=str(path)) from exc
    return PneumoniaMnist(train=train, val=val, test=test)
