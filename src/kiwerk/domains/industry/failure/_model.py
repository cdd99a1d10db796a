"""The AI4I failure model: one gradient-boosted classifier per failure mode.

The failure-mode columns are labels, never features; they are what this model
learns from. Each mode (tool wear, heat dissipation, power, overstrain) has a
classifier on the physics features; a machine fails when any mode does, so
the failure probability is ``1 − Π(1 − p_mode)``. The decision threshold is
chosen by cross-validation inside :meth:`FailureModel.fit`, on the training
data only. Random failures (RNF, 0.1 % independent of the process) cannot be
predicted and are not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd

from kiwerk.errors import NotFittedError

if TYPE_CHECKING:
    from kiwerk.core.models.onnx import EdgeModel

TARGET = "Machine failure"
MODES = ("TWF", "HDF", "PWF", "OSF")
LABELS = (TARGET, *MODES, "RNF")


@dataclass(frozen=True)
class FailureParams:
    """Hyper-parameters of :class:`FailureModel`.

    The mechanistic modes (HDF, PWF, OSF) have sharp physical thresholds, so
    their trees get fine feature bins and small leaves; tool-wear failures
    happen at a random wear between 200 and 240 min, so their model is kept
    coarse and smooth.
    """

    n_estimators: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_child_samples: int = 3
    max_bin: int = 4095
    reg_lambda: float = 0.0
    min_child_weight: float = 1e-3
    wear_n_estimators: int = 100
    wear_num_leaves: int = 4
    wear_min_child_samples: int = 40
    threshold_folds: int = 5

    def __post_init__(self) -> None:
        if self.n_estimators < 1 or self.wear_n_estimators < 1:
            raise ValueError("Expected at least one boosting round.")
        if not 0 < self.learning_rate <= 1:
            raise ValueError(
                f"Expected learning_rate in (0, 1], got {self.learning_rate}."
            )
        if self.threshold_folds < 2:
            raise ValueError(
                f"Expected threshold_folds ≥ 2, got {self.threshold_folds}."
            )

    @classmethod
    def quick(cls) -> FailureParams:
        """A small budget for tests and smoke runs."""
        return cls(
            n_estimators=60,
            learning_rate=0.1,
            wear_n_estimators=30,
            threshold_folds=2,
        )


class FailureModel:
    """Machine-failure probability, decision and failure type for AI4I rows.

    Parameters
    ----------
    params
        Hyper-parameters.
    seed
        Seeds the boosting and the threshold folds.

    Examples
    --------
    >>> m = FailureModel(FailureParams.quick(), seed=0)
    >>> m.predict(pd.DataFrame({"a": [1.0]}))
    Traceback (most recent call last):
    ...
    kiwerk.errors.NotFittedError: FailureModel is not fitted yet; call fit first
    """

    def __init__(self, params: FailureParams | None = None, seed: int = 0) -> None:
        self.params = params or FailureParams()
        self.seed = seed

    def _classifier(self, mode: str) -> Any:
        import lightgbm as lgb

        p = self.params
        common: dict[str, Any] = {
            "random_state": self.seed,
            "verbose": -1,
            "n_jobs": 1,
            "deterministic": True,
            "force_row_wise": True,
        }
        if mode == "TWF":
            return lgb.LGBMClassifier(
                n_estimators=p.wear_n_estimators,
                learning_rate=p.learning_rate,
                num_leaves=p.wear_num_leaves,
                min_child_samples=p.wear_min_child_samples,
                **common,
            )
        return lgb.LGBMClassifier(
            n_estimators=p.n_estimators,
            learning_rate=p.learning_rate,
            num_leaves=p.num_leaves,
            min_child_samples=p.min_child_samples,
            max_bin=p.max_bin,
            min_data_in_bin=1,
            reg_lambda=p.reg_lambda,
            min_child_weight=p.min_child_weight,
            **common,
        )

    def _fit_modes(self, X: pd.DataFrame, Y: pd.DataFrame) -> dict[str, Any]:
        models = {}
        for mode in MODES:
            labels = Y[mode].to_numpy(dtype=int)
            if labels.min() == labels.max():
                raise ValueError(f"the training rows hold no {mode} contrast to learn")
            models[mode] = self._classifier(mode).fit(X, labels)
        return models

    @staticmethod
    def _mode_proba(models: dict[str, Any], X: pd.DataFrame) -> np.ndarray:
        # The booster on a float array: the scikit-learn wrapper re-validates
        # the frame on every call (about 1 ms per call and mode). Small
        # requests run on one thread (starting threads costs more than the
        # trees); large batches use every core.
        values = np.ascontiguousarray(X.to_numpy(dtype=np.float64))
        threads = 1 if len(values) < 2048 else 0
        return np.column_stack(
            [models[m].booster_.predict(values, num_threads=threads) for m in MODES]
        )

    def fit(self, X: pd.DataFrame, y: pd.DataFrame) -> Self:
        """Fit the mode classifiers and choose the threshold by inner CV.

        Parameters
        ----------
        X
            Physics features.
        y
            Label frame with ``Machine failure`` and the mode columns.
        """
        from sklearn.model_selection import StratifiedKFold

        failure = y[TARGET].to_numpy(dtype=int)
        folds = StratifiedKFold(
            self.params.threshold_folds, shuffle=True, random_state=self.seed
        )
        oof = np.zeros(len(X))
        for fit_idx, val_idx in folds.split(np.zeros(len(X)), failure):
            models = self._fit_modes(X.iloc[fit_idx], y.iloc[fit_idx])
            oof[val_idx] = _any(self._mode_proba(models, X.iloc[val_idx]))
        self.threshold_ = best_threshold(failure, oof)
        self.models_ = self._fit_modes(X, y)
        self.features_ = list(X.columns)
        return self

    def _check(self, X: pd.DataFrame) -> None:
        if not hasattr(self, "models_"):
            raise NotFittedError("FailureModel is not fitted yet; call fit first")
        if list(X.columns) != self.features_:
            raise ValueError(
                f"Expected features {self.features_}, got {list(X.columns)}."
            )

    def mode_proba(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-mode failure probabilities, one column per mode."""
        self._check(X)
        return pd.DataFrame(
            self._mode_proba(self.models_, X), columns=list(MODES), index=X.index
        )

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``(rows, 2)``: probabilities of no failure and of failure."""
        risk = _any(self.mode_proba(X).to_numpy())
        return np.column_stack([1.0 - risk, risk])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where the failure probability reaches the tuned threshold."""
        return (self.predict_proba(X)[:, 1] >= self.threshold_).astype(int)

    def predict_table(self, X: pd.DataFrame) -> pd.DataFrame:
        """Probability, decision, likely type and mode risks, from one pass.

        The same numbers as :meth:`predict_proba`, :meth:`predict`,
        :meth:`predict_type` and :meth:`mode_proba`, but each mode model runs
        once.
        """
        self._check(X)
        values = self._mode_proba(self.models_, X)
        risk = _any(values)
        decision = (risk >= self.threshold_).astype(int)
        likely = np.asarray(MODES, dtype=object)[np.argmax(values, axis=1)]
        columns: dict[str, Any] = {
            "failure_probability": risk,
            "failure": decision,
            "failure_type": np.where(decision == 1, likely, "none"),
        }
        columns.update({f"p_{m}": values[:, i] for i, m in enumerate(MODES)})
        return pd.DataFrame(columns, index=X.index)

    def to_onnx(self) -> EdgeModel:
        """The model with its feature step as one ONNX graph (edge export)."""
        from kiwerk.domains.industry.failure._onnx import failure_to_onnx

        self._check(pd.DataFrame(columns=self.features_))
        return failure_to_onnx(self)

    def predict_type(self, X: pd.DataFrame) -> np.ndarray:
        """The most likely failure mode where a failure is predicted, else ``none``."""
        modes = self.mode_proba(X)
        likely = modes.idxmax(axis=1).to_numpy(dtype=object)
        return np.where(self.predict(X) == 1, likely, "none")


def _any(mode_proba: np.ndarray) -> np.ndarray:
    """Probability that at least one mode fails (modes taken as independent)."""
    return np.asarray(1.0 - np.prod(1.0 - mode_proba, axis=1))


def best_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The threshold in [0.01, 0.99] maximising F1 (middle of the best plateau).

    Examples
    --------
    >>> best_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.3, 0.6, 0.9]))
    0.46
    """
    from sklearn.metrics import f1_score

    grid = np.round(np.arange(0.01, 0.991, 0.01), 2)
    f1 = np.array([f1_score(labels, scores >= t, zero_division=0.0) for t in grid])
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)
    return float(grid[best[len(best) // 2]])
