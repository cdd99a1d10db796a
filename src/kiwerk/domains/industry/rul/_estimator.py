"""The remaining-useful-life estimator: cross-fitted GBM, CNN or their blend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from kiwerk.domains.industry.rul._conformal import ConformalCalibrator
from kiwerk.domains.industry.rul._features import (
    ConditionNormalizer,
    smooth,
    summarise,
    summary_names,
    windows,
)
from kiwerk.domains.industry.rul._metrics import rmse
from kiwerk.domains.industry.rul._network import (
    WindowCNN,
    predict_network,
    torch_threads,
    train_network,
)
from kiwerk.domains.industry.rul._params import RulParams
from kiwerk.domains.industry.rul._validate import (
    check_lengths,
    validate_with_order,
)
from kiwerk.errors import NotFittedError

if TYPE_CHECKING:
    from kiwerk.domains.industry.rul._explain import RulExplanation

Array = NDArray[np.float64]
_WEIGHTS = np.linspace(0.0, 1.0, 11)


@dataclass(frozen=True)
class Windows:
    """Every row's window, with its unit, cycle and position within the unit."""

    x: NDArray[np.float32]
    units: NDArray[np.int64]
    cycles: NDArray[np.int64]
    position: NDArray[np.int64]


class RulEstimator:
    """Remaining useful life of turbofan engines from their sensor history.

    ``fit`` takes run-to-failure trajectories (each unit's last cycle is its
    failure). Engines are split into ``params.folds`` folds by unit; one model
    per fold learns on the other folds, and its estimates on the held-out
    engines give the validation RMSE, the blend weight of GBM and CNN, and
    the conformal calibration. Predictions average the fold models.

    Parameters
    ----------
    params
        Features, models and calibration; default :class:`RulParams`.

    Examples
    --------
    >>> est = RulEstimator(RulParams(model="gbm"))
    >>> est.params.cap
    125.0
    """

    def __init__(self, params: RulParams | None = None) -> None:
        self.params = params or RulParams()

    # -- fitting -----------------------------------------------------------
    def fit(
        self, frame: pd.DataFrame, rul: ArrayLike | None = None, *, seed: int = 0
    ) -> Self:
        """Train on trajectories with known remaining life.

        ``rul`` gives the true remaining life after each row (uncapped, in the
        frame's row order); by default every unit runs to failure, so its
        last cycle has RUL 0.

        Raises
        ------
        ContractViolation
            Bad columns, values or cycle order (naming unit, cycle, column).
        ValueError
            Fewer engines than folds.
        """
        p = self.params
        clean, order = validate_with_order(frame, source="training frame")
        check_lengths(clean, p.window, p.padding, "training frame")
        units = np.unique(clean["unit"].to_numpy())
        if units.size < max(p.folds, 4):
            raise ValueError(
                f"Expected at least {max(p.folds, 4)} engines, got {units.size}."
            )
        self.normalizer_ = ConditionNormalizer.fit(clean, p.n_conditions, seed)
        w = self._windows(clean)
        if rul is None:
            last = clean.groupby("unit")["cycle"].transform("max").to_numpy()
            target = (last - w.cycles).astype(np.float64)
        else:
            given = np.asarray(rul, dtype=np.float64)
            if given.shape != (len(frame),) or not np.isfinite(given).all():
                raise ValueError(
                    f"Expected {len(frame)} finite RUL values, one per row."
                )
            target = given[order]
        rng = np.random.default_rng(seed)
        fold_of = dict(
            zip(rng.permutation(units), np.arange(units.size) % p.folds, strict=True)
        )
        fold = np.array([fold_of[u] for u in w.units])
        kinds = {"gbm": ["gbm"], "cnn": ["cnn"], "ensemble": ["gbm", "cnn"]}[p.model]
        oof = {k: np.zeros(len(target)) for k in kinds}
        self.boosters_: list[lgb.LGBMRegressor] = []
        self.networks_: list[WindowCNN] = []
        self.feature_names_ = [
            *self.normalizer_.sensors,
            *(
                f"{s}:ewm{a}"
                for a in p.slow_smoothing
                for s in self.normalizer_.sensors
            ),
            "cycle",
        ]
        self.summary_names_ = summary_names(
            self.normalizer_.sensors,
            self.feature_names_[len(self.normalizer_.sensors) : -1],
        )
        summaries = self._summarise(w.x) if "gbm" in kinds else None
        with torch_threads(p.threads):
            for k in range(p.folds):
                train, held = fold != k, fold == k
                fold_seed = int(rng.integers(2**31))
                if summaries is not None:
                    booster = self._fit_gbm(summaries[train], target[train], fold_seed)
                    oof["gbm"][held] = booster.predict(summaries[held])
                    self.boosters_.append(booster)
                if "cnn" in kinds:
                    net = train_network(w.x[train], target[train], p, fold_seed)
                    oof["cnn"][held] = predict_network(net, w.x[held], p.cap)
                    self.networks_.append(net)
        self._calibrate(oof, target, w, seed)
        healthy = target >= p.cap
        self.baseline_window_ = w.x[healthy if healthy.any() else slice(None)].mean(
            axis=0
        )
        return self

    def _fit_gbm(
        self, x: NDArray[np.float32], y: Array, seed: int
    ) -> lgb.LGBMRegressor:
        p = self.params
        model = lgb.LGBMRegressor(
            n_estimators=p.gbm_trees,
            learning_rate=p.gbm_learning_rate,
            num_leaves=p.gbm_leaves,
            min_child_samples=50,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.7,
            random_state=seed,
            n_jobs=p.threads,
            verbose=-1,
        )
        return model.fit(x, np.minimum(y, p.cap))

    def _calibrate(
        self, oof: dict[str, Array], target: Array, w: Windows, seed: int
    ) -> None:
        """Blend weight, validation scores and conformal scores from held-out folds."""
        p = self.params
        scored = w.position >= p.eval_min_cycle
        truth = np.minimum(target, p.cap)[scored]
        self.validation_ = {f"rmse_{k}": rmse(v[scored], truth) for k, v in oof.items()}
        if p.model == "ensemble":
            errors = [rmse(self._blend(oof, a)[scored], truth) for a in _WEIGHTS]
            self.weight_ = float(_WEIGHTS[int(np.argmin(errors))])
        else:
            self.weight_ = 1.0 if p.model == "cnn" else 0.0
        blended = self._blend(oof, self.weight_)
        self.validation_["rmse"] = rmse(blended[scored], truth)
        self.validation_["weight_cnn"] = self.weight_
        self.calibrator_ = ConformalCalibrator.fit(
            blended[scored], truth, w.units[scored], seed
        )

    def _blend(self, parts: dict[str, Array], weight: float) -> Array:
        """``weight`` · CNN + (1 − weight) · GBM, clipped to ``[0, cap]``."""
        total = np.zeros_like(next(iter(parts.values())))
        if "cnn" in parts:
            total = total + weight * parts["cnn"]
        if "gbm" in parts:
            total = total + (1.0 - weight) * parts["gbm"]
        return np.clip(total, 0.0, self.params.cap)

    # -- prediction --------------------------------------------------------
    def _windows(self, clean: pd.DataFrame) -> Windows:
        units = clean["unit"].to_numpy()
        cycles = clean["cycle"].to_numpy()
        raw = self.normalizer_.transform(clean)
        values = np.column_stack(
            [
                smooth(raw, units, a)
                for a in (self.params.smoothing, *self.params.slow_smoothing)
            ]
        )
        position = clean.groupby("unit").cumcount().to_numpy().astype(np.int64) + 1
        x = windows(values, units, cycles, self.params.window)
        return Windows(x=x, units=units, cycles=cycles, position=position)

    def _summarise(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        return summarise(x, len(self.normalizer_.sensors))

    def _check_fitted(self) -> None:
        if not hasattr(self, "calibrator_"):
            raise NotFittedError(
                "this RulEstimator is not fitted yet; call fit() first"
            )

    def _prepare(self, frame: pd.DataFrame, source: str) -> Windows:
        return self._prepare_ordered(frame, source)[0]

    def _prepare_ordered(
        self, frame: pd.DataFrame, source: str
    ) -> tuple[Windows, NDArray[np.int64]]:
        self._check_fitted()
        clean, order = validate_with_order(frame, source=source)
        check_lengths(clean, self.params.window, self.params.padding, source)
        return self._windows(clean), order

    def _estimate(self, x: NDArray[np.float32]) -> Array:
        parts: dict[str, Array] = {}
        if self.boosters_:
            summaries = self._summarise(x)
            parts["gbm"] = np.mean(
                [b.predict(summaries) for b in self.boosters_], axis=0
            )
        if self.networks_:
            with torch_threads(self.params.threads):
                runs = [predict_network(n, x, self.params.cap) for n in self.networks_]
            parts["cnn"] = np.mean(runs, axis=0)
        return self._blend(parts, self.weight_)

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """RUL after each unit's last cycle (its last window), indexed by unit."""
        w = self._prepare(frame, "prediction frame")
        last = np.r_[w.units[1:] != w.units[:-1], True]
        est = self._estimate(w.x[last])
        return pd.Series(est, index=pd.Index(w.units[last], name="unit"), name="rul")

    def predict_interval(self, frame: pd.DataFrame, alpha: float = 0.1) -> pd.DataFrame:
        """Estimate with a conformal ``1 - alpha`` interval per unit.

        Returns columns ``estimate``, ``lower`` (never below 0) and ``upper``.
        """
        est = self.predict(frame)
        return self._interval(est.to_numpy(), alpha, est.index)

    def predict_trajectory(
        self, frame: pd.DataFrame, alpha: float = 0.1
    ) -> pd.DataFrame:
        """Estimate and interval after every observed cycle of every unit.

        Smoothing and windows only look back, so the row for cycle ``t`` equals
        ``predict_interval`` on the record cut after ``t``.
        """
        w = self._prepare(frame, "prediction frame")
        out = self._interval(self._estimate(w.x), alpha, pd.RangeIndex(len(w.units)))
        out.insert(0, "cycle", w.cycles)
        out.insert(0, "unit", w.units)
        return out

    def predict_rows(self, frame: pd.DataFrame, alpha: float = 0.1) -> pd.DataFrame:
        """:meth:`predict_trajectory` in the frame's own row order and index."""
        w, order = self._prepare_ordered(frame, "prediction frame")
        out = self._interval(self._estimate(w.x), alpha, pd.RangeIndex(len(order)))
        out.insert(0, "cycle", w.cycles)
        out.insert(0, "unit", w.units)
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        return out.iloc[back].set_axis(frame.index)

    def explain(self, frame: pd.DataFrame, unit: int) -> RulExplanation:
        """Which sensors, in which recent cycles, pushed ``unit``'s estimate.

        See :func:`~kiwerk.domains.industry.rul.explain_unit`.
        """
        from kiwerk.domains.industry.rul._explain import explain_unit

        return explain_unit(self, frame, unit)

    def _interval(self, est: Array, alpha: float, index: pd.Index) -> pd.DataFrame:
        half = self.calibrator_.width(est, alpha)
        return pd.DataFrame(
            {
                "estimate": est,
                "lower": np.maximum(est - half, 0.0),
                "upper": est + half,
            },
            index=index,
        )
