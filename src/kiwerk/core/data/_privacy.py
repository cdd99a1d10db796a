"""Privacy at ingest: keyed pseudonyms, masking, the secrets file, k-anonymity.

Personal columns are replaced by ``HMAC-SHA256(key, value)`` before a row is
written; the key lives in a secrets file outside the pool with ``0600`` rights,
so pseudonyms are stable (the same person gets the same pseudonym in every
dataset of the pool) but cannot be reversed or recomputed without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from kiwerk.core.data._catalog import connect
from kiwerk.errors import ConfigError

#: Hex digits kept of each HMAC: 128 bits, ample against collisions.
PSEUDONYM_HEX = 32
_CACHE_LIMIT = 1_000_000
_EMAIL = r"[\w.+-]+@[\w-]+(\.[\w-]+)+"
_DIGITS = r"\d{3,}"


@dataclass(frozen=True)
class PoolSecrets:
    """The keys of a pool, read from its secrets file."""

    pseudonym_key: bytes
    audit_key: bytes


def load_secrets(path: Path, *, pool_root: Path) -> PoolSecrets:
    """Read the secrets file, creating it with ``0600`` rights when absent.

    Raises
    ------
    ConfigError
        When the file lies inside the pool, is readable by others, or is
        malformed.

    Examples
    --------
    >>> import tempfile
    >>> home = Path(tempfile.mkdtemp())
    >>> keys = load_secrets(home / "secrets.toml", pool_root=home / "pool")
    >>> oct((home / "secrets.toml").stat().st_mode & 0o777)
    '0o600'
    """
    root = pool_root.resolve()
    resolved = path.resolve()
    if resolved == root or root in resolved.parents:
        raise ConfigError(
            f"the secrets file {path} lies inside the pool {pool_root}; "
            "keep it outside (KIWERK_SECRETS_FILE)"
        )
    if not path.exists():
        _create(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"the secrets file {path} is readable by others "
            f"(mode {oct(mode & 0o777)}); run: chmod 600 {path}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        section = data["pool"]
        return PoolSecrets(
            pseudonym_key=bytes.fromhex(section["pseudonym_key"]),
            audit_key=bytes.fromhex(section["audit_key"]),
        )
    except (tomllib.TOMLDecodeError, KeyError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"the secrets file {path} is malformed ({exc}); it needs a [pool] "
            "table with hex pseudonym_key and audit_key"
        ) from exc


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "# kiwerk pool keys: losing them makes pseudonyms and the audit chain\n"
        "# unverifiable; leaking them makes pseudonyms recomputable.\n"
        "[pool]\n"
        f'pseudonym_key = "{secrets.token_hex(32)}"\n'
        f'audit_key = "{secrets.token_hex(32)}"\n'
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first; read theirs
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


class Pseudonymiser:
    """Replaces values by keyed HMAC pseudonyms, batch by batch.

    Only distinct values are hashed (a dictionary encoding), so a column with
    few people costs almost nothing per row.

    Parameters
    ----------
    key
        The secret HMAC key.

    Examples
    --------
    >>> p = Pseudonymiser(b"k" * 32)
    >>> out = p.apply(pa.array(["ann", None, "ann"]))
    >>> out[0] == out[2], out[1].as_py()
    (True, None)
    """

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._cache: dict[str, str] = {}

    def pseudonym(self, value: str) -> str:
        """The pseudonym of one value."""
        found = self._cache.get(value)
        if found is None:
            digest = hmac.new(self.key, value.encode("utf-8"), hashlib.sha256)
            found = digest.hexdigest()[:PSEUDONYM_HEX]
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[value] = found
        return found

    def apply(self, column: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Pseudonymise a column of any type (values are hashed as text)."""
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        text = (
            column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
        )
        encoded = pc.dictionary_encode(text)
        hashed = pa.array(
            [self.pseudonym(v) for v in encoded.dictionary.to_pylist()],
            type=pa.string(),
        )
        return pc.take(hashed, encoded.indices)


def mask_text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Mask e-mail addresses and runs of three or more digits in free text.

    Examples
    --------
    >>> mask_text(pa.array(["call 0211 555 or a@b.de"])).to_pylist()
    ['call [number] [number] or [email]']
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    text = pc.replace_substring_regex(text, _EMAIL, "[email]")
    return pc.replace_substring_regex(text, _DIGITS, "[number]")


@dataclass(frozen=True)
class KAnonymityReport:
    """How well a table's quasi-identifiers hide individuals.

    ``k_min`` is the size of the smallest group of rows sharing one combination
    of quasi-identifier values; the table is k-anonymous when ``k_min >= k``.
    """

    quasi_identifiers: tuple[str, ...]
    k: int
    k_min: int | None
    groups: int
    groups_below_k: int
    rows_below_k: int

    @property
    def passed(self) -> bool:
        """Whether every group has at least ``k`` rows."""
        return self.groups_below_k == 0


def k_anonymity(
    parquet: Path, quasi_identifiers: tuple[str, ...], k: int
) -> KAnonymityReport:
    """Group a stored Parquet table by its quasi-identifiers and count small groups.

    Raises
    ------
    ValueError
        When no quasi-identifier is given.
    """
    if not quasi_identifiers:
        raise ValueError("k-anonymity needs at least one quasi-identifier column")
    cols = ", ".join(_quote(c) for c in quasi_identifiers)
    con = connect()
    try:
        groups, k_min, below, rows_below = con.execute(
            f"SELECT count(*), min(n), count(*) FILTER (n < ?), "
            f"coalesce(sum(n) FILTER (n < ?), 0) FROM (SELECT count(*) AS n "
            f"FROM read_parquet(?) GROUP BY {cols})",
            [k, k, str(parquet)],
        ).fetchone() or (0, None, 0, 0)
    finally:
        con.close()
    return KAnonymityReport(
        quasi_identifiers, k, k_min, int(groups), int(below), int(rows_below)
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


__all__ = [
    "KAnonymityReport",
    "PoolSecrets",
    "Pseudonymiser",
    "k_anonymity",
    "load_secrets",
    "mask_text",
]
