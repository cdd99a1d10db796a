"""Per-patient survival curves and the features that drove each patient's risk.

For the Cox model the drivers are exact: each feature's share of the
log-hazard, ``coef · (x − mean) / scale``. For the random survival forest they
are occlusion effects: how much the predicted risk falls when one feature is set
to the training median. Curves are drawn with matplotlib's Agg canvas (no
display needed) and saved as PNG.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray
from sklearn.pipeline import Pipeline


@dataclass(frozen=True)
class PatientRisk:
    """One patient's risk score, survival curve and strongest drivers."""

    label: str
    risk: float
    times: NDArray[np.float64]
    survival: NDArray[np.float64]
    drivers: tuple[tuple[str, float], ...]


def risk_drivers(
    model: Any, X_train: pd.DataFrame, row: pd.DataFrame, *, top: int = 3
) -> tuple[tuple[str, float], ...]:
    """The ``top`` features with the largest effect on one patient's risk.

    Parameters
    ----------
    model
        A fitted Cox pipeline (scaler + Cox) or random survival forest.
    X_train
        The training features (for medians).
    row
        One patient (a one-row frame).
    top
        How many drivers to return.

    Returns
    -------
    tuple
        ``(feature, effect)`` pairs, largest absolute effect first; positive
        effects raise the risk.
    """
    if len(row) != 1:
        raise ValueError(f"Expected one patient, got {len(row)} rows.")
    if isinstance(model, Pipeline):
        scaler, cox = model.steps[0][1], model.steps[-1][1]
        z = (row.to_numpy(float)[0] - scaler.mean_) / scaler.scale_
        effect = np.asarray(cox.coef_, float) * z
    else:
        base = float(model.predict(row)[0])
        probes = pd.concat([row] * row.shape[1], ignore_index=True)
        medians = X_train.median()
        for j, column in enumerate(row.columns):
            probes.loc[j, column] = medians[column]
        effect = base - np.asarray(model.predict(probes), float)
    order = np.argsort(-np.abs(effect))[:top]
    return tuple((str(row.columns[j]), float(effect[j])) for j in order)


def patient_risks(
    model: Any, X_train: pd.DataFrame, X: pd.DataFrame, *, top: int = 3
) -> list[PatientRisk]:
    """Risk, survival curve and drivers for every row of ``X``."""
    risks = np.asarray(model.predict(X), float)
    curves = model.predict_survival_function(X)
    out = []
    for i, fn in enumerate(curves):
        out.append(
            PatientRisk(
                label=str(X.index[i]),
                risk=float(risks[i]),
                times=np.asarray(fn.x, float),
                survival=np.asarray(fn.y, float),
                drivers=risk_drivers(model, X_train, X.iloc[[i]], top=top),
            )
        )
    return out


def plot_survival_curves(
    patients: list[PatientRisk], path: Path, *, title: str, time_unit: str = "days"
) -> Path:
    """Save the patients' survival curves, each labelled with its drivers, as PNG."""
    if not patients:
        raise ValueError("Expected at least one patient to plot.")
    fig = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for p in patients:
        drivers = ", ".join(f"{name} {effect:+.2f}" for name, effect in p.drivers)
        ax.step(p.times, p.survival, where="post", label=f"#{p.label}: {drivers}")
    ax.set_xlabel(f"time ({time_unit})")
    ax.set_ylabel("predicted survival probability")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend(
        fontsize=7, loc="lower left", title="patient: top drivers (+ raises risk)"
    )
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path
