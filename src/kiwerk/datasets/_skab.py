"""SKAB, the Skoltech Anomaly Benchmark: water-pump testbed time series."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kiwerk.errors import DataFormatError

SKAB_SIGNALS = (
    "Accelerometer1RMS",
    "Accelerometer2RMS",
    "Current",
    "Pressure",
    "Temperature",
    "Thermocouple",
    "Voltage",
    "Volume Flow RateRMS",
)
SKAB_LABELS = ("anomaly", "changepoint")
SKAB_GROUPS = ("anomaly-free", "valve1", "valve2", "other")


@dataclass(frozen=True)
class SkabExperiment:
    """One SKAB experiment (one CSV file).

    Attributes
    ----------
    group
        Its folder: ``anomaly-free``, ``valve1``, ``valve2`` or ``other``.
    name
        ``<group>/<stem>``, e.g. ``valve1/0``.
    signals
        The 8 sensor columns (:data:`SKAB_SIGNALS`, float64) on a strictly
        increasing ``DatetimeIndex`` named ``datetime`` (local time, ~1 s).
    anomaly
        0/1 (int8) per row: inside the anomaly segment; ``None`` for the
        anomaly-free file, which carries no labels.
    changepoint
        0/1 (int8) per row: a changepoint; ``None`` where unlabelled.
    """

    group: str
    name: str
    signals: pd.DataFrame
    anomaly: pd.Series | None
    changepoint: pd.Series | None

    @property
    def labelled(self) -> bool:
        """Whether the file has anomaly and changepoint labels."""
        return self.anomaly is not None


def read_skab_csv(path: Path, *, group: str) -> SkabExperiment:
    """Read one SKAB CSV (``;``-separated, ``datetime`` first) into an experiment.

    Raises
    ------
    DataFormatError
        Columns are missing, timestamps do not parse or do not increase, or a
        label is not 0/1.
    """
    try:
        frame = pd.read_csv(path, sep=";", index_col="datetime", parse_dates=True)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataFormatError(f"not a SKAB table: {exc}", source=str(path)) from exc
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataFormatError("datetime column does not parse", source=str(path))
    missing = [c for c in SKAB_SIGNALS if c not in frame.columns]
    if missing:
        raise DataFormatError(f"missing columns {missing}", source=str(path))
    if not frame.index.is_monotonic_increasing or not frame.index.is_unique:
        raise DataFormatError(
            "timestamps do not strictly increase", source=str(path), field="datetime"
        )
    labels: dict[str, pd.Series | None] = dict.fromkeys(SKAB_LABELS)
    if all(c in frame.columns for c in SKAB_LABELS):
        for column in SKAB_LABELS:
            values = frame[column]
            bad = ~values.isin([0, 1])
            if bad.any():
                row = int(np.argmax(bad.to_numpy())) + 2  # header is line 1
                raise DataFormatError(
                    f"label must be 0 or 1, found {values[bad].iloc[0]!r}",
                    source=str(path),
                    line=row,
                    field=column,
                )
            labels[column] = values.astype(np.int8)
    signals = frame[list(SKAB_SIGNALS)].astype(np.float64)
    return SkabExperiment(
        group=group,
        name=f"{group}/{path.stem}",
        signals=signals,
        anomaly=labels["anomaly"],
        changepoint=labels["changepoint"],
    )


def _stem_key(path: Path) -> tuple[int, str]:
    return (int(path.stem), "") if path.stem.isdigit() else (-1, path.stem)


def load_skab(*, directory: Path) -> dict[str, tuple[SkabExperiment, ...]]:
    """Load every SKAB experiment, grouped by folder, files in numeric order.

    Treat each file as its own experiment: several overlap in wall-clock time,
    so never concatenate them on the timestamp.

    Raises
    ------
    DataFormatError
        A group folder is missing or empty, or a file is malformed.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> groups = load_skab(directory=Settings().data / "skab")  # doctest: +SKIP
    >>> {g: len(e) for g, e in groups.items()}  # doctest: +SKIP
    {'anomaly-free': 1, 'valve1': 16, 'valve2': 4, 'other': 14}
    """
    groups: dict[str, tuple[SkabExperiment, ...]] = {}
    for group in SKAB_GROUPS:
        files = sorted((directory / group).glob("*.csv"), key=_stem_key)
        if not files:
            raise DataFormatError(
                f"no SKAB files in folder {group!r}", source=str(directory / group)
            )
        groups[group] = tuple(read_skab_csv(p, group=group) for p in files)
    return groups
