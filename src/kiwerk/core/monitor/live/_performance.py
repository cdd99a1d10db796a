"""Live performance of a served model once ground truth arrives.

Predictions are remembered per request (bounded: the oldest are forgotten
first) so that a label posted later for prediction ``"<request>-<row>"`` can
be matched to what the model said. Matched pairs fill windows of
``window_size`` labels; each closed window yields classification metrics
(accuracy, and precision, recall and F1 for 0/1 labels) or regression
metrics (MAE, RMSE, bias) and the alerts its thresholds raise. Memory is
O(remembered rows + window + windows kept).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kiwerk.errors import ContractViolation


@dataclass(frozen=True)
class PerformanceParams:
    """Window sizes, memory bound and alert thresholds of a performance monitor.

    Parameters
    ----------
    window_size
        Labelled predictions per window.
    max_windows
        Windows kept (the oldest are dropped).
    max_remembered
        Predictions remembered for matching (rows; oldest requests go first).
    alert_below
        ``(metric, threshold)`` pairs: a window whose metric is below raises
        an alert (metrics a window lacks are skipped).
    alert_above
        ``(metric, threshold)`` pairs for error metrics such as ``mae``.
    """

    window_size: int = 200
    max_windows: int = 500
    max_remembered: int = 200_000
    alert_below: tuple[tuple[str, float], ...] = (("f1", 0.5), ("accuracy", 0.8))
    alert_above: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if min(self.window_size, self.max_windows, self.max_remembered) < 1:
            raise ValueError("sizes must be at least 1")


def window_metrics(predicted: list[Any], labels: list[Any]) -> dict[str, float]:
    """Classification or regression metrics of matched pairs.

    Integer, boolean or text predictions (decisions, classes) are compared
    with the labels for equality; float predictions are regression estimates.

    Examples
    --------
    >>> round(window_metrics([1, 0, 1, 1], [1, 0, 0, 1])["f1"], 6)
    0.8
    >>> window_metrics([2.0, 4.0], [1.0, 5.0])["mae"]
    1.0
    """
    classes = all(isinstance(v, str | bool | np.integer | int) for v in predicted)
    if classes:
        p, y = [_key(v) for v in predicted], [_key(v) for v in labels]
        out = {"accuracy": float(np.mean([a == b for a, b in zip(p, y, strict=True)]))}
        if set(y) | set(p) <= {"0", "1"} and "1" in set(y) | set(p):
            tp = sum(a == b == "1" for a, b in zip(p, y, strict=True))
            fp = sum(a == "1" and b == "0" for a, b in zip(p, y, strict=True))
            fn = sum(a == "0" and b == "1" for a, b in zip(p, y, strict=True))
            out["precision"] = tp / (tp + fp) if tp + fp else 0.0
            out["recall"] = tp / (tp + fn) if tp + fn else 0.0
            both = out["precision"] + out["recall"]
            out["f1"] = 2 * out["precision"] * out["recall"] / both if both else 0.0
            out["positives"] = float(y.count("1"))
        return out
    error = np.asarray(predicted, dtype=float) - np.asarray(labels, dtype=float)
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(math.sqrt(np.mean(error**2))),
        "bias": float(np.mean(error)),
    }


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds."""
    return value.item() if isinstance(value, np.generic) else value


def _key(value: Any) -> str:
    """A class label as text: ``1``, ``1.0`` and ``True`` are all ``"1"``."""
    value = _plain(value)
    if isinstance(value, bool | float) and float(value).is_integer():
        return str(int(value))
    return str(value)


def pick_output(outputs: dict[str, Any], label: Any) -> str:
    """The output column a label is compared with, by the label's type.

    Integral labels meet the first integer output (a decision), text labels
    the first text output, other numbers the first float output.

    Examples
    --------
    >>> pick_output({"p": 0.3, "failure": 0, "kind": "none"}, 1)
    'failure'
    >>> pick_output({"p": 0.3, "failure": 0}, 0.25)
    'p'
    """
    kinds: tuple[type, ...]
    if isinstance(label, str):
        kinds = (str,)
    elif isinstance(label, bool | int | np.integer):
        kinds = (bool, int, np.integer)
    else:
        kinds = (float, np.floating)
    for name, value in outputs.items():
        if isinstance(value, kinds):
            return name
    return next(iter(outputs))


class PerformanceMonitor:
    """Ground-truth performance of one model over windows of labels.

    Examples
    --------
    >>> mon = PerformanceMonitor(PerformanceParams(window_size=2))
    >>> mon.remember("r1", 1, pd.DataFrame({"p": [0.9, 0.2], "failure": [1, 0]}))
    >>> mon.label("r1-0", 1)["output"], mon.label("r1-1", 1)["matched"]
    ('failure', True)
    >>> w = mon.windows()[0]
    >>> w["metrics"]["recall"], w["alerts"]
    (0.5, ['accuracy'])
    """

    def __init__(self, params: PerformanceParams | None = None) -> None:
        self.params = params or PerformanceParams()
        self._remembered: OrderedDict[str, tuple[int, pd.DataFrame]] = OrderedDict()
        self._rows = 0
        self._pairs: list[tuple[Any, Any, int]] = []
        self._started = time.time()
        self._windows: deque[dict[str, Any]] = deque(maxlen=self.params.max_windows)
        self._unmatched = 0
        self._lock = threading.Lock()

    def remember(self, request: str, version: int, outputs: pd.DataFrame) -> None:
        """Keep a request's predictions for matching later labels."""
        with self._lock:
            self._remembered[request] = (version, outputs)
            self._rows += len(outputs)
            while self._rows > self.params.max_remembered and len(self._remembered) > 1:
                _, (_, old) = self._remembered.popitem(last=False)
                self._rows -= len(old)

    def find(self, prediction_id: str) -> tuple[int, dict[str, Any]] | None:
        """(version, outputs) of a remembered prediction, else ``None``."""
        request, _, row = prediction_id.rpartition("-")
        with self._lock:
            hit = self._remembered.get(request)
        if hit is None or not row.isdigit() or int(row) >= len(hit[1]):
            return None
        frame, i = hit[1], int(row)
        # column by column: a row Series would upcast integer decisions to float
        return hit[0], {str(c): _plain(frame[c].iloc[i]) for c in frame.columns}

    def label(
        self,
        prediction_id: str,
        label: Any,
        *,
        output: str | None = None,
        found: tuple[int, dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Match a ground-truth label with its prediction and count it.

        ``found`` supplies (version, outputs) looked up elsewhere (the
        prediction log) when the prediction is no longer remembered.

        Raises
        ------
        ContractViolation
            When ``output`` names no output column.
        """
        found = found or self.find(prediction_id)
        if found is None:
            with self._lock:
                self._unmatched += 1
            return {"prediction_id": prediction_id, "matched": False}
        version, outputs = found
        column = output or pick_output(outputs, label)
        if column not in outputs:
            raise ContractViolation(
                f"no output column {column!r}; the model outputs {list(outputs)}",
                source=prediction_id,
                field="output",
            )
        predicted = outputs[column]
        with self._lock:
            self._pairs.append((predicted, label, version))
            if len(self._pairs) >= self.params.window_size:
                self._close()
        return {
            "prediction_id": prediction_id,
            "matched": True,
            "version": version,
            "output": column,
            "predicted": predicted,
        }

    def _close(self) -> None:
        predicted = [p for p, _, _ in self._pairs]
        labels = [y for _, y, _ in self._pairs]
        metrics = window_metrics(predicted, labels)
        alerts = [
            m for m, t in self.params.alert_below if m in metrics and metrics[m] < t
        ]
        alerts += [
            m for m, t in self.params.alert_above if m in metrics and metrics[m] > t
        ]
        now = time.time()
        self._windows.append(
            {
                "kind": "performance",
                "start": self._started,
                "end": now,
                "rows": len(self._pairs),
                "versions": sorted({v for _, _, v in self._pairs}),
                "metrics": metrics,
                "alerts": alerts,
            }
        )
        self._pairs, self._started = [], now

    def windows(self) -> list[dict[str, Any]]:
        """The closed windows, oldest first."""
        with self._lock:
            return list(self._windows)

    def state(self) -> dict[str, Any]:
        """Remembered predictions, labels in the open window, unmatched labels."""
        with self._lock:
            return {
                "remembered_rows": self._rows,
                "open_window_labels": len(self._pairs),
                "unmatched_labels": self._unmatched,
            }


__all__ = ["PerformanceMonitor", "PerformanceParams", "pick_output", "window_metrics"]
