"""Contracts shipped with kiwerk for the real benchmark datasets."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kiwerk.core.data._spec import DatasetSpec

_PACKAGE = "kiwerk.core.data"


def builtin_contracts() -> list[str]:
    """Names of the contracts shipped with kiwerk.

    Examples
    --------
    >>> "ai4i2020" in builtin_contracts()
    True
    """
    folder = resources.files(_PACKAGE) / "contracts"
    return sorted(
        p.name.removesuffix(".toml")
        for p in folder.iterdir()
        if p.name.endswith(".toml")
    )


def builtin_contract(name: str) -> DatasetSpec:
    """Load the shipped contract ``name`` (e.g. ``"ai4i2020"``).

    Raises
    ------
    KeyError
        When no contract of that name ships with kiwerk.

    Examples
    --------
    >>> builtin_contract("ai4i2020").personal
    ('Product ID',)
    """
    resource = resources.files(_PACKAGE) / "contracts" / f"{name}.toml"
    if not resource.is_file():
        raise KeyError(f"no built-in contract {name!r}; have {builtin_contracts()}")
    with resources.as_file(resource) as path:
        return DatasetSpec.from_file(Path(path))


__all__ = ["builtin_contract", "builtin_contracts"]
