"""Fixtures of the health domain.

- ``dicom_dir``: the real public DICOM test files (``<data>/dicom``), read-only.
- ``deid_key``: a fixed 32-byte de-identification key for reproducible outputs.
- ``pneumonia_path``: the official PneumoniaMNIST ``.npz`` (``<data>/medmnist``).
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def dicom_dir(data_dir: Path) -> Path:
    """The real DICOM test files described in ``dicom/SOURCE.md``."""
    path = data_dir / "dicom"
    if not path.is_dir():
        pytest.skip(f"DICOM test files not found at {path}")
    return path


@pytest.fixture(scope="session")
def deid_key() -> bytes:
    """A fixed secret key for the keyed hashes of the de-identifier."""
    return bytes(range(32))


@pytest.fixture(scope="session")
def pneumonia_path(data_dir: Path) -> Path:
    """The official PneumoniaMNIST file (MD5 28209eda…)."""
    path = data_dir / "medmnist" / "pneumoniamnist.npz"
    if not path.is_file():
        pytest.skip(f"PneumoniaMNIST not found at {path}")
    return path
