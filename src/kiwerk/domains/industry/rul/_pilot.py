"""The C-MAPSS remaining-useful-life pilot, as parts for the shared pipeline.

Protocol: train on the subset's training file, test on its test file scored on
the last window of each engine against the RUL file (capped at 125 for the
headline RMSE). Rows are sensor readings; the target of a row is the true
remaining life after it. Cross-validation keeps engines whole and cuts each
held-out engine at a random cycle, so its last window looks like a test
engine's. Hyper-parameters and the GBM/CNN blend are chosen inside ``fit`` on
training engines only.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

from kiwerk.core.explain import Explanation
from kiwerk.core.models import PromotionRule
from kiwerk.core.pipeline import (
    Choice,
    DataContract,
    DatasetContract,
    DomainPipeline,
    Folds,
    InputColumn,
    IntRange,
    SearchSpace,
    Split,
    Uniform,
)
from kiwerk.datasets import load_cmapss
from kiwerk.domains.industry.maintenance import MaintenanceParams, simulate_policies
from kiwerk.domains.industry.rul._estimator import RulEstimator
from kiwerk.domains.industry.rul._explain import explain_rows
from kiwerk.domains.industry.rul._metrics import evaluate_rul, rmse
from kiwerk.domains.industry.rul._params import RulParams
from kiwerk.domains.industry.rul._validate import COLUMNS

NAME = "industry-rul"
ORG = "industry"
SUBSETS = ("FD001", "FD002", "FD003", "FD004")


def pilot_name(subset: str) -> str:
    """Registry name of a subset's pilot: ``industry-rul`` for FD001, else suffixed.

    FD001 keeps the plain name (the pilot's first and default subset); each
    other subset is its own pilot, so its models are registered apart.

    Examples
    --------
    >>> pilot_name("FD001"), pilot_name("fd003")
    ('industry-rul', 'industry-rul-fd003')
    """
    name = subset.upper()
    if name not in SUBSETS:
        raise ValueError(f"Expected a subset in {SUBSETS}, got {subset!r}.")
    return NAME if name == SUBSETS[0] else f"{NAME}-{name.lower()}"


def dataset_names(subset: str) -> tuple[str, str, str]:
    """Pool names of a subset's training, test and RUL tables."""
    key = subset.lower()
    return f"cmapss-{key}-train", f"cmapss-{key}-test", f"cmapss-{key}-rul"


def cmapss_frames(subset: str, directory: Path) -> dict[str, pd.DataFrame]:
    """A subset's three tables under their pool names (``rul``: unit, rul)."""
    data = load_cmapss(subset, directory=directory)
    train, test, rul = dataset_names(subset)
    truth = data.rul.rename("rul").reset_index()
    return {train: data.train, test: data.test, rul: truth}


class RulPilotModel:
    """:class:`RulEstimator` behind the pipeline's ``fit(X, y)`` / ``predict(X)``.

    ``predict`` returns the estimate after every row (from that row's prefix).
    """

    def __init__(self, params: RulParams, seed: int) -> None:
        self.params = params
        self.seed = seed

    def fit(self, X: pd.DataFrame, y: Any) -> Self:
        """Fit the estimator with ``y`` as the true RUL after each row."""
        self.estimator_ = RulEstimator(self.params).fit(
            X, np.asarray(y), seed=self.seed
        )
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The RUL estimate after each row."""
        return self.estimator_.predict_rows(X)["estimate"].to_numpy()


def as_csv(directory: Path, part: str, subset: str) -> Path:
    """A headed CSV copy of one C-MAPSS text file, for the pool to ingest.

    NASA ships headerless whitespace-separated text, which the pool's CSV
    reader cannot name; the copy (``train``/``test``: the 26 named columns,
    ``RUL``: ``unit, rul``) is written once to a ``kiwerk-cmapss`` folder in
    the system's temporary directory, never beside the read-only data.
    Returns the path of a missing source file unchanged, so the pipeline can
    report it.
    """
    source = directory / f"{part}_{subset}.txt"
    if not source.is_file():
        return source
    target = Path(tempfile.gettempdir()) / "kiwerk-cmapss" / f"{part}_{subset}.csv"
    if not target.is_file():
        frames = cmapss_frames(subset, directory)
        train, test, rul = dataset_names(subset)
        table = {"train": frames[train], "test": frames[test], "RUL": frames[rul]}[part]
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".tmp")
        table.to_csv(partial, index=False)
        partial.replace(target)
    return target


def make_split(subset: str) -> Any:
    """The official split of ``subset``: training file vs test file + RUL file."""
    train_name, test_name, rul_name = dataset_names(subset)

    def split(frames: Mapping[str, pd.DataFrame], seed: int) -> Split:
        del seed  # the official split is fixed
        train = frames[train_name][COLUMNS].copy()
        last = train.groupby("unit")["cycle"].transform("max")
        train["rul"] = (last - train["cycle"]).astype(np.float64)
        test = frames[test_name][COLUMNS].copy()
        truth = frames[rul_name].set_index("unit")["rul"]
        end = test.groupby("unit")["cycle"].transform("max")
        test["rul"] = (test["unit"].map(truth) + end - test["cycle"]).astype(np.float64)
        return Split(
            train=train.reset_index(drop=True), test=test.reset_index(drop=True)
        )

    return split


def features(frame: pd.DataFrame) -> pd.DataFrame:
    """The sensor table itself: windows are built inside the estimator."""
    return frame[COLUMNS]


def target(frame: pd.DataFrame) -> pd.Series:
    """True remaining life after each row."""
    return frame["rul"]


def truncated_folds(X: pd.DataFrame, y: Any, folds: int, seed: int) -> Folds:
    """Group folds by engine; each held-out engine is cut at a random cycle."""
    del y
    rng = np.random.default_rng(seed)
    units = X["unit"].to_numpy()
    order = rng.permutation(np.unique(units))
    out: Folds = []
    for chunk in np.array_split(order, folds):
        held = np.isin(units, chunk)
        keep = np.zeros(len(X), dtype=bool)
        for unit in chunk:
            rows = np.flatnonzero(units == unit)
            cut = int(rng.integers(min(30, rows.size), rows.size + 1))
            keep[rows[:cut]] = True
        out.append((np.flatnonzero(~held), np.flatnonzero(keep)))
    return out


def _last_rows(X: pd.DataFrame) -> np.ndarray:
    """Positions of each unit's last row."""
    return np.flatnonzero(~X["unit"].duplicated(keep="last").to_numpy())


def rul_metrics(model: RulPilotModel, X: pd.DataFrame, y: Any) -> dict[str, float]:
    """Last-window RMSE (capped and uncapped truth), NASA score, 90% coverage."""
    est = model.estimator_
    rows = est.predict_rows(X, alpha=0.1)
    last = _last_rows(X)
    units = X["unit"].to_numpy()[last]
    truth = pd.Series(np.asarray(y, dtype=np.float64)[last], index=units)
    interval = rows.iloc[last].set_index(pd.Index(units))
    report = evaluate_rul(interval["estimate"], truth, est.params.cap, interval)
    scored = est._prepare(X, "metrics frame").position >= est.params.eval_min_cycle
    capped = np.minimum(np.asarray(y, dtype=np.float64), est.params.cap)
    return {
        "rmse": report.rmse,
        "rmse_uncapped": report.rmse_uncapped,
        "nasa_score": report.score,
        "coverage90": report.coverage,
        "rmse_all_windows": rmse(
            rows["estimate"].to_numpy()[_sorted_mask(X, scored)],
            capped[_sorted_mask(X, scored)],
        ),
    }


def _sorted_mask(X: pd.DataFrame, mask_sorted: np.ndarray) -> np.ndarray:
    """A mask in the estimator's unit-sorted order, mapped back to ``X``'s order."""
    order = np.lexsort((np.arange(len(X)), X["unit"].to_numpy()))
    out = np.zeros(len(X), dtype=bool)
    out[order] = mask_sorted
    return out


def rul_kpis(model: RulPilotModel, X: pd.DataFrame, y: Any) -> dict[str, float]:
    """Maintenance-policy simulation on the evaluated fleet (see maintenance)."""
    params = MaintenanceParams()
    rows = model.estimator_.predict_rows(X, alpha=params.alpha)
    last = _last_rows(X)
    failure = pd.Series(
        X["cycle"].to_numpy()[last] + np.asarray(y, dtype=np.float64)[last],
        index=X["unit"].to_numpy()[last],
    )
    report = simulate_policies(rows[["unit", "cycle", "lower"]], failure, params)
    best, pred = report.outcome("fixed-interval"), report.outcome("predictive")
    return {
        "cost_predictive": pred.cost,
        "cost_best_interval": best.cost,
        "cost_run_to_failure": report.outcome("run-to-failure").cost,
        "downtime_h_predictive": pred.downtime_h,
        "downtime_h_best_interval": best.downtime_h,
        "failures_avoided_predictive": float(pred.failures_avoided),
        "saving_vs_best_interval": report.saving,
    }


def explain_rul(model: RulPilotModel, X: pd.DataFrame) -> Explanation:
    """Per-sensor push on the estimate after each row (IG for the CNN, SHAP for GBM)."""
    contributions, base = explain_rows(model.estimator_, X)
    return Explanation(
        contributions=contributions, base_values=base, output="RUL in cycles"
    )


def predict_rul(model: RulPilotModel, X: pd.DataFrame) -> pd.DataFrame:
    """Estimate and 90% interval after each row."""
    return model.estimator_.predict_rows(X, alpha=0.1)


def gbm_search(subset: str) -> SearchSpace:
    """The search space of the gradient-boosting RUL model (``kiwerk tune``).

    Trials vary the LightGBM budget and shape and the sensor smoothing; the
    window stays the subset's. ``quick`` keeps 3 internal folds and at most
    40 trees (tests).

    Examples
    --------
    >>> space = gbm_search("FD001")
    >>> model = space.factory(space.sample(1, seed=0)[0], 0, True)
    >>> model.params.model, model.params.folds, model.params.gbm_trees <= 40
    ('gbm', 3, True)
    """
    name = subset.upper()

    def factory(config: Mapping[str, Any], seed: int, quick: bool) -> RulPilotModel:
        params = RulParams.for_subset(name, model="gbm").with_(**config)
        if quick:
            params = params.with_(folds=3, gbm_trees=min(params.gbm_trees, 40))
        return RulPilotModel(params, seed)

    return SearchSpace(
        {
            "gbm_trees": IntRange(150, 900),
            "gbm_learning_rate": Uniform(0.01, 0.1, log=True),
            "gbm_leaves": Choice((7, 15, 31, 63)),
            "smoothing": Uniform(0.15, 0.6),
        },
        factory=factory,
        metric="rmse",
        higher_is_better=False,
    )


def rul_pilot(subset: str = "FD001") -> DomainPipeline:
    """The C-MAPSS RUL pilot for one subset.

    Examples
    --------
    >>> pilot = rul_pilot("FD002")
    >>> pilot.name, pilot.tags["subset"]
    ('industry-rul-fd002', 'FD002')
    """
    pilot = pilot_name(subset)
    name = subset.upper()
    train_name, test_name, rul_name = dataset_names(name)

    def locate(part: str) -> Any:
        return lambda data: as_csv(data / "cmapss", part, name)

    contract = DataContract(
        datasets=(
            DatasetContract(
                train_name, locate("train"), description=f"C-MAPSS {name} train"
            ),
            DatasetContract(
                test_name, locate("test"), description=f"C-MAPSS {name} test"
            ),
            DatasetContract(rul_name, locate("RUL"), description=f"C-MAPSS {name} RUL"),
        ),
        org=ORG,
        inputs=tuple(InputColumn(c) for c in COLUMNS),
        ignored=("rul",),
    )

    def make_model(seed: int, *, quick: bool = False) -> RulPilotModel:
        params = RulParams.for_subset(name)
        if quick:
            params = params.with_(folds=3, steps=60, gbm_trees=60)
        return RulPilotModel(params, seed)

    return DomainPipeline(
        name=pilot,
        title=f"Remaining useful life of turbofan engines (C-MAPSS {name})",
        contract=contract,
        split=make_split(name),
        features=features,
        target=target,
        model_factory=make_model,
        metrics=rul_metrics,
        kpis=rul_kpis,
        explainer=explain_rul,
        predict=predict_rul,
        cv=truncated_folds,
        promotion=PromotionRule("rmse", 16.0, higher_is_better=False),
        cv_folds=2,
        tags={"subset": name},
        search=gbm_search(name),
        row_wise=False,
    )


def rul_pilots() -> list[DomainPipeline]:
    """One pilot per C-MAPSS subset, FD001 first.

    Examples
    --------
    >>> [p.name for p in rul_pilots()][:2]
    ['industry-rul', 'industry-rul-fd002']
    """
    return [rul_pilot(subset) for subset in SUBSETS]
