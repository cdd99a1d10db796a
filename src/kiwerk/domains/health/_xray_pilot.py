"""The ``health-xray`` pilot: PneumoniaMNIST triage as parts for the shared pipeline.

Protocol (MedMNIST v2): the official train / val / test split. The pool holds
one table, one row per image (``split``, ``label``, pixels ``p000``…``p783``).
The pipeline's "cross-validation" is the official validation split (one fold:
train → val); the final model trains on train and calibrates on val inside
``fit`` (temperature, Youden threshold, abstain band, OOD gate); test is
scored once. The feature matrix holds pixels only: which training rows are
the official validation rows rides along in the frame's ``attrs`` (their
index labels, recorded by the split), never as a column a request would need.
Metrics: AUC, accuracy at the validation threshold, ECE before and after
calibration, abstain coverage; KPI: share of normal studies that can
be deprioritised at sensitivity ≥ 0.95.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kiwerk.core.explain import Explanation
from kiwerk.core.models import PromotionRule
from kiwerk.core.pipeline import (
    DataContract,
    DatasetContract,
    DomainPipeline,
    Folds,
    InputColumn,
    Split,
)
from kiwerk.domains.health._medmnist import MedMnistSplit, load_medmnist
from kiwerk.domains.health._xray_net import XrayNetParams
from kiwerk.domains.health._xray_triage import XrayTriage, XrayTriageParams
from kiwerk.errors import NotFittedError

if TYPE_CHECKING:
    from kiwerk.core.models.onnx import EdgeModel

NAME = "health-xray"
DATASET = "pneumoniamnist"
ORG = "health"
SIDE = 28
PIXELS = tuple(f"p{i:03d}" for i in range(SIDE * SIDE))
#: ``attrs`` key: index labels of the official validation rows of a frame.
VAL_ROWS = "health-xray.val_rows"


def medmnist_frame(path: Path) -> pd.DataFrame:
    """One row per image of a binary MedMNIST file: split, label and pixels.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> f = Path(tempfile.mkdtemp()) / "pneumoniamnist.npz"
    >>> im = np.zeros((2, 28, 28), np.uint8); lab = np.array([[0], [1]], np.uint8)
    >>> np.savez(f, **{f"{s}_{k}": v for s in ("train", "val", "test")
    ...                for k, v in (("images", im), ("labels", lab))})
    >>> medmnist_frame(f).shape
    (6, 786)
    """
    ds = load_medmnist(path)
    parts = []
    for name in ("train", "val", "test"):
        split = ds.split(name)
        frame = pd.DataFrame(
            split.images.reshape(len(split), -1).astype(np.int64), columns=list(PIXELS)
        )
        frame.insert(0, "label", split.labels[:, 0].astype(np.int64))
        frame.insert(0, "split", name)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def _locate(data: Path) -> Path:
    """Convert the official ``.npz`` once into a Parquet table the pool ingests."""
    target = Path(tempfile.gettempdir()) / "kiwerk-health" / f"{DATASET}.parquet"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_suffix(".tmp")
        medmnist_frame(data / "medmnist" / f"{DATASET}.npz").to_parquet(staged)
        staged.replace(target)
    return target


def images_of(X: pd.DataFrame) -> NDArray[np.uint8]:
    """The pixel columns of ``X`` as ``N × 28 × 28`` uint8 images."""
    values = X[list(PIXELS)].to_numpy()
    out: NDArray[np.uint8] = np.clip(values, 0, 255).astype(np.uint8)
    return out.reshape(-1, SIDE, SIDE)


class XrayPilotModel:
    """:class:`XrayTriage` behind the pipeline's table interface.

    ``fit`` calibrates on the official validation rows named in
    ``X.attrs`` (see :func:`official_val`); without such rows it holds out a
    stratified 10 % of the training rows.
    """

    def __init__(self, params: XrayTriageParams, *, seed: int = 0) -> None:
        self.params = params
        self.seed = seed

    def fit(self, X: pd.DataFrame, y: Any) -> Self:
        """Train on the training rows, calibrate on the validation rows."""
        labels = np.asarray(y, dtype=np.uint8).reshape(-1, 1)
        images = images_of(X)
        val = official_val(X)
        if not val.any():
            val = _holdout(labels[:, 0], self.seed)
        self.model_ = XrayTriage(self.params, seed=self.seed).fit(
            MedMnistSplit(images[~val], labels[~val]),
            MedMnistSplit(images[val], labels[val]),
        )
        self.threshold_ = self.model_.threshold_
        return self

    def predict_proba(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Calibrated probabilities ``N × 2`` (normal, pneumonia)."""
        p = self.model_.predict_proba(images_of(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> NDArray[np.int64]:
        """1 for pneumonia at the validation threshold, else 0."""
        return (self.predict_proba(X)[:, 1] >= self.threshold_).astype(np.int64)

    def to_onnx(self) -> EdgeModel:
        """The triage decision (ensemble, TTA, calibration, gate) as one ONNX graph."""
        from kiwerk.domains.health._xray_onnx import xray_to_onnx

        if not hasattr(self, "model_"):
            raise NotFittedError("XrayPilotModel is not fitted; call fit() first.")
        return xray_to_onnx(self.model_)


def official_val(X: pd.DataFrame) -> NDArray[np.bool_]:
    """Which rows of ``X`` are official validation rows (from ``X.attrs``).

    Examples
    --------
    >>> X = pd.DataFrame({"p000": [0, 1, 2]}, index=[4, 7, 9])
    >>> X.attrs[VAL_ROWS] = (7, 9, 12)
    >>> official_val(X).tolist()
    [False, True, True]
    >>> official_val(X.iloc[:1]).tolist()
    [False]
    """
    labels = X.attrs.get(VAL_ROWS, ())
    return np.asarray(X.index.isin(list(labels)), dtype=bool)


def _holdout(labels: NDArray[np.uint8], seed: int) -> NDArray[np.bool_]:
    rng = np.random.default_rng(seed)
    val = np.zeros(len(labels), dtype=bool)
    for cls in (0, 1):
        idx = np.flatnonzero(labels == cls)
        val[rng.permutation(idx)[: max(1, len(idx) // 10)]] = True
    return val


def split_official(frames: Mapping[str, pd.DataFrame], seed: int) -> Split:  # noqa: ARG001
    """MedMNIST's official split: train + val for fitting, test held out.

    The training frame records the index labels of its official validation
    rows in ``attrs`` (:data:`VAL_ROWS`) for the fold and for ``fit``.
    """
    rows = frames[DATASET]
    test = (rows["split"] == "test").to_numpy()
    train = rows[~test].reset_index(drop=True)
    train.attrs[VAL_ROWS] = tuple(
        int(i) for i in np.flatnonzero(train["split"].to_numpy() == "val")
    )
    return Split(train=train, test=rows[test].reset_index(drop=True))


def features(frame: pd.DataFrame) -> pd.DataFrame:
    """The pixel columns only (the frame's ``attrs`` ride along)."""
    out = frame[list(PIXELS)]
    out.attrs = dict(frame.attrs)
    return out


def target(frame: pd.DataFrame) -> pd.Series:
    """Pneumonia (1) or normal (0)."""
    return frame["label"].astype(int)


def official_fold(X: pd.DataFrame, y: Any, folds: int, seed: int) -> Folds:  # noqa: ARG001
    """The official validation split as the one fold (train → val)."""
    val = official_val(X)
    fit_idx, val_idx = np.flatnonzero(~val), np.flatnonzero(val)
    if len(val_idx) == 0:
        val_mask = _holdout(np.asarray(y, dtype=np.uint8), seed)
        fit_idx, val_idx = np.flatnonzero(~val_mask), np.flatnonzero(val_mask)
    return [(fit_idx, val_idx)]


def xray_metrics(model: XrayPilotModel, X: pd.DataFrame, y: Any) -> dict[str, float]:
    """AUC, accuracy, ECE before/after, abstain coverage and accuracy of the decided."""
    split = MedMnistSplit(images_of(X), np.asarray(y, dtype=np.uint8).reshape(-1, 1))
    scores = model.model_.evaluate(split)
    return {
        k: scores[k]
        for k in ("auc", "acc", "ece_before", "ece_after", "coverage", "acc_decided")
    }


def xray_kpis(model: XrayPilotModel, X: pd.DataFrame, y: Any) -> dict[str, float]:
    """Normals deprioritised at the sensitivity floor, sensitivity there, referrals."""
    split = MedMnistSplit(images_of(X), np.asarray(y, dtype=np.uint8).reshape(-1, 1))
    scores = model.model_.evaluate(split)
    return {
        "normals_deprioritised": scores["normals_deprioritised"],
        "sensitivity_at_triage": scores["sensitivity_at_triage"],
        "referred_share": 1.0 - scores["coverage"],
    }


def explain_xray(model: XrayPilotModel, X: pd.DataFrame) -> Explanation:
    """Grad-CAM weight of each pixel for the pneumonia logit (ensemble mean)."""
    maps = model.model_.explain(images_of(X)).reshape(len(X), -1)
    return Explanation(
        contributions=pd.DataFrame(
            maps.astype(float), index=X.index, columns=list(PIXELS)
        ),
        base_values=np.zeros(len(X)),
        output="Grad-CAM weight for the pneumonia logit (0..1 per image)",
    )


def predict_xray(model: XrayPilotModel, X: pd.DataFrame) -> pd.DataFrame:
    """Probability of pneumonia and the triage decision (or ``refer``/``refused``)."""
    images = images_of(X)
    return pd.DataFrame(
        {
            "pneumonia_probability": model.model_.predict_proba(images),
            "decision": model.model_.predict(images),
        },
        index=X.index,
    )


def make_xray_model(seed: int, *, quick: bool = False) -> XrayPilotModel:
    """The shipped recipe, or a one-net one-epoch model when ``quick``."""
    if quick:
        return XrayPilotModel(
            XrayTriageParams(net=XrayNetParams(width=8, epochs=1), n_models=1),
            seed=seed,
        )
    return XrayPilotModel(XrayTriageParams(time_budget_s=1800.0), seed=seed)


def xray_pilot(spec: Any = None) -> DomainPipeline:
    """The chest X-ray triage pilot on PneumoniaMNIST.

    Examples
    --------
    >>> xray_pilot().name
    'health-xray'
    """
    contract = DataContract(
        datasets=(
            DatasetContract(
                DATASET,
                locate=_locate,
                spec=spec,
                description="PneumoniaMNIST 28 × 28 (MedMNIST v2)",
            ),
        ),
        org=ORG,
        inputs=tuple(InputColumn(p) for p in PIXELS),
        ignored=("split", "label"),
    )
    return DomainPipeline(
        name=NAME,
        title="Chest X-ray pneumonia triage with heat maps and abstention",
        contract=contract,
        split=split_official,
        features=features,
        target=target,
        model_factory=make_xray_model,
        metrics=xray_metrics,
        kpis=xray_kpis,
        explainer=explain_xray,
        predict=predict_xray,
        cv=official_fold,
        promotion=PromotionRule("auc", 0.95),
        cv_folds=2,
    )
