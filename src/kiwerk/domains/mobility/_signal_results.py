"""The latest signal-control comparison, kept as a small JSON file.

``kiwerk mobility signals run`` records the average trip delay of every
controller it simulated (per scenario, averaged over its seeds); the
dashboard reads the newest record of each scenario and controller.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kiwerk.domains.mobility._signals import EpisodeResult
from kiwerk.errors import DataFormatError


def signal_results_path(home: Path) -> Path:
    """Where a kiwerk home keeps its signal results.

    Examples
    --------
    >>> signal_results_path(Path("/srv/kiwerk")).as_posix()
    '/srv/kiwerk/mobility/signals.json'
    """
    return home / "mobility" / "signals.json"


def record_signal_results(
    results: Sequence[EpisodeResult], duration_s: float, path: Path
) -> list[dict[str, Any]]:
    """Add the mean delay of each (scenario, controller) in ``results`` to ``path``.

    Earlier rows of the same scenario and controller are replaced. Returns
    every row now in the file.

    Examples
    --------
    >>> import tempfile
    >>> r = EpisodeResult("c1", "fixed", 0, 40.0, 9, np.zeros(0), np.zeros(0))
    >>> p = Path(tempfile.mkdtemp()) / "signals.json"
    >>> [row["delay_s"] for row in record_signal_results([r], 600, p)]
    [40.0]
    """
    rows = {(r["scenario"], r["controller"]): r for r in read_signal_results(path)}
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    groups: dict[tuple[str, str], list[EpisodeResult]] = {}
    for r in results:
        groups.setdefault((r.scenario, r.controller), []).append(r)
    for (scenario, controller), runs in groups.items():
        rows[(scenario, controller)] = {
            "scenario": scenario,
            "controller": controller,
            "delay_s": float(np.mean([r.delay_s for r in runs])),
            "vehicles": int(runs[0].vehicles),
            "seeds": len(runs),
            "duration_s": float(duration_s),
            "recorded": stamp,
        }
    out = sorted(rows.values(), key=lambda r: (r["scenario"], r["controller"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(out, indent=1), encoding="utf-8")
    os.replace(partial, path)
    return out


def read_signal_results(path: Path) -> list[dict[str, Any]]:
    """The recorded rows (none when the file does not exist).

    Raises
    ------
    DataFormatError
        When the file is not a list of recorded rows.
    """
    if not path.is_file():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataFormatError(f"not JSON: {exc}", source=str(path)) from exc
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and {"scenario", "controller", "delay_s"} <= set(r)
        for r in rows
    ):
        raise DataFormatError("expected a list of signal results", source=str(path))
    return rows


__all__ = ["read_signal_results", "record_signal_results", "signal_results_path"]
