"""Dataset specifications: the data contract and the privacy rules of a dataset.

A :class:`DatasetSpec` says which columns a dataset has (type, range, allowed
values, uniqueness, missing-value limit), which are personal (pseudonymised at
ingest), which are dropped or masked, what to do with bad rows (reject the file
or quarantine the rows) and which quasi-identifiers must leave groups of at
least ``k`` rows before the dataset may be shared.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from kiwerk.errors import DataFormatError

Policy = Literal["reject", "quarantine"]

#: Contract type names and the aliases accepted in contract files.
DTYPES: dict[str, str] = {
    "int": "int64",
    "int64": "int64",
    "integer": "int64",
    "float": "float64",
    "float64": "float64",
    "double": "float64",
    "str": "string",
    "string": "string",
    "bool": "bool",
    "boolean": "bool",
    "datetime": "timestamp",
    "timestamp": "timestamp",
}


@dataclass(frozen=True)
class ColumnSpec:
    """The contract of one column.

    Parameters
    ----------
    name
        Column name as it appears in the file.
    dtype
        One of ``int``, ``float``, ``str``, ``bool``, ``datetime`` (or an alias).
    nullable
        Whether missing values are allowed at all.
    min, max
        Inclusive range of allowed values (numbers only).
    allowed
        The allowed values, if the column is categorical.
    unique
        Whether every value must occur once.
    max_null_share
        Largest share of missing values over the whole file (0..1).
    required
        Whether the file must contain the column.

    Examples
    --------
    >>> ColumnSpec("speed", "float", min=0.0).dtype
    'float64'
    """

    name: str
    dtype: str = "string"
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    allowed: tuple[str | int | float | bool, ...] | None = None
    unique: bool = False
    max_null_share: float | None = None
    required: bool = True

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(
                f"column {self.name!r}: unknown dtype {self.dtype!r}; "
                f"expected one of {sorted(set(DTYPES))}"
            )
        object.__setattr__(self, "dtype", DTYPES[self.dtype])
        if self.allowed is not None:
            object.__setattr__(self, "allowed", tuple(self.allowed))
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"column {self.name!r}: min {self.min} > max {self.max}")
        if self.max_null_share is not None and not 0 <= self.max_null_share <= 1:
            raise ValueError(f"column {self.name!r}: max_null_share must be in [0, 1]")


@dataclass(frozen=True)
class DatasetSpec:
    """Contract, privacy rules and bad-row policy of a dataset.

    Parameters
    ----------
    columns
        Per-column contracts; columns not listed are kept unchecked unless
        ``strict``.
    policy
        ``reject`` refuses a file with any violation; ``quarantine`` stores the
        bad rows in a side table of the version and keeps the good ones.
    personal
        Columns pseudonymised with a keyed HMAC before anything is written.
    drop
        Columns removed before anything is written.
    mask
        Free-text columns whose e-mail addresses and digit runs are masked.
    quasi_identifiers
        Columns that together could identify a person; sharing needs every
        combination to occur at least ``k`` times.
    k
        The k of k-anonymity.
    strict
        Refuse columns the contract does not list.

    Examples
    --------
    >>> spec = DatasetSpec(columns=(ColumnSpec("age", "int", min=0),), k=3)
    >>> DatasetSpec.from_dict(spec.to_dict()) == spec
    True
    """

    columns: tuple[ColumnSpec, ...] = ()
    policy: Policy = "reject"
    personal: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    mask: tuple[str, ...] = ()
    quasi_identifiers: tuple[str, ...] = ()
    k: int = 5
    strict: bool = False

    def __post_init__(self) -> None:
        if self.policy not in ("reject", "quarantine"):
            raise ValueError(
                f"policy must be 'reject' or 'quarantine', not {self.policy!r}"
            )
        if self.k < 1:
            raise ValueError(f"k must be at least 1, not {self.k}")
        for name in ("columns", "personal", "drop", "mask", "quasi_identifiers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        names = [c.name for c in self.columns]
        if len(names) != len(set(names)):
            raise ValueError("a column is declared twice in the contract")
        clash = set(self.drop) & (set(self.personal) | set(self.mask))
        if clash:
            raise ValueError(f"columns {sorted(clash)} cannot be dropped and kept")

    def column(self, name: str) -> ColumnSpec | None:
        """The contract of column ``name``, or ``None`` when undeclared."""
        return next((c for c in self.columns if c.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict that :meth:`from_dict` turns back into this spec."""
        data = asdict(self)
        data["columns"] = {c.pop("name"): c for c in data["columns"]}
        return data

    def to_json(self) -> str:
        """The spec as canonical JSON (sorted keys)."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "spec") -> DatasetSpec:
        """Build a spec from the structure of a contract file.

        Raises
        ------
        DataFormatError
            When a key is unknown or a value has the wrong type.
        """
        data = dict(data)
        data.update(data.pop("dataset", {}) or {})
        raw_columns = data.pop("columns", {}) or {}
        try:
            columns = tuple(
                ColumnSpec(name=str(name), **(body or {}))
                for name, body in raw_columns.items()
            )
            return cls(columns=columns, **data)
        except (TypeError, ValueError, AttributeError) as exc:
            raise DataFormatError(f"invalid contract: {exc}", source=source) from exc

    @classmethod
    def from_file(cls, path: Path) -> DatasetSpec:
        """Load a contract from a TOML (``.toml``) or YAML (``.yaml``) file.

        Raises
        ------
        DataFormatError
            When the file cannot be parsed or describes an invalid contract.
        """
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFormatError(
                f"cannot read contract: {exc}", source=str(path)
            ) from exc
        try:
            if path.suffix.lower() == ".toml":
                data: Any = tomllib.loads(text)
            elif path.suffix.lower() in (".yaml", ".yml"):
                data = yaml.safe_load(text)
            else:
                raise DataFormatError(
                    "a contract must be a .toml, .yaml or .yml file", source=str(path)
                )
        except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
            raise DataFormatError(
                f"cannot parse contract: {exc}", source=str(path)
            ) from exc
        if not isinstance(data, dict):
            raise DataFormatError("a contract must be a mapping", source=str(path))
        return cls.from_dict(cast(dict[str, Any], data), source=str(path))

    @classmethod
    def from_json(cls, text: str) -> DatasetSpec:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))


__all__ = ["DTYPES", "ColumnSpec", "DatasetSpec", "Policy"]
