"""The PS3.15 Annex E Basic Application Level Confidentiality Profile as data.

The table (``data/ps3_15_basic_profile.json``) is DICOM PS3.15 Table E.1-1,
column "Basic Prof.", release 2026c, transcribed from KitwareMedical's
``dicom-anonymizer`` 2.1.0 (``dicomfields_2026c.py``, BSD-3-Clause); the JSON
records that source. Actions: ``X`` remove, ``Z`` empty, ``D`` dummy, ``U``
remapped UID, and combinations such as ``X/Z/D`` ("X unless the IOD needs Z or D").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

PROFILE_FILE = "ps3_15_basic_profile.json"


@dataclass(frozen=True)
class ProfileEntry:
    """One row of Table E.1-1: the tag, its name and the Basic Profile action."""

    tag: int
    name: str
    action: str
    mask: int = 0xFFFFFFFF

    def matches(self, tag: int) -> bool:
        """Whether ``tag`` is this attribute (or in its repeating group)."""
        return (tag & self.mask) == (self.tag & self.mask)

    @property
    def removes(self) -> bool:
        """True for ``X`` and every ``X/...`` action: the attribute must go."""
        return self.action.startswith("X")


@dataclass(frozen=True)
class BasicProfile:
    """The profile's rows, indexed by tag, with its source citation."""

    entries: dict[int, ProfileEntry]
    masked: tuple[ProfileEntry, ...]
    source: dict[str, Any]

    def action_for(self, tag: int) -> ProfileEntry | None:
        """The row governing ``tag``, or None when the profile does not list it.

        Examples
        --------
        >>> load_basic_profile().action_for(0x00100010).action  # Patient's Name
        'Z'
        >>> load_basic_profile().action_for(0x60023000).action  # Overlay Data
        'X'
        """
        entry = self.entries.get(tag)
        if entry is not None:
            return entry
        return next((e for e in self.masked if e.matches(tag)), None)

    def __len__(self) -> int:
        """Number of rows."""
        return len(self.entries) + len(self.masked)


@lru_cache(maxsize=1)
def load_basic_profile() -> BasicProfile:
    """Load the packaged Table E.1-1 (cached).

    Examples
    --------
    >>> len(load_basic_profile()) > 600
    True
    """
    raw = resources.files("kiwerk.domains.health").joinpath("data", PROFILE_FILE)
    doc = json.loads(raw.read_text(encoding="utf-8"))
    entries: dict[int, ProfileEntry] = {}
    masked: list[ProfileEntry] = []
    for row in doc["attributes"]:
        entry = ProfileEntry(
            tag=int(row["tag"], 16),
            name=row["name"],
            action=row["action"],
            mask=int(row.get("mask", "FFFFFFFF"), 16),
        )
        if entry.mask == 0xFFFFFFFF:
            entries[entry.tag] = entry
        else:
            masked.append(entry)
    source = {k: v for k, v in doc.items() if k != "attributes"}
    return BasicProfile(entries=entries, masked=tuple(masked), source=source)
