"""The one pilot pipeline: contract → features → train → evaluate → explain.

A domain plugs a pilot in by building a :class:`DomainPipeline` from parts;
training, cross-validation, evaluation, explanation artefacts, the MLflow
registry, promotion and serving are shared core code.

The parts
---------
``contract``
    :class:`DataContract`: the pool datasets (:class:`DatasetContract`: pool
    name, ``locate(data_dir) → file``, the pool's ``DatasetSpec``, optional
    ``convert`` for files the pool cannot read directly), the organisation an
    empty pool is bootstrapped with, the request columns
    (:class:`InputColumn`) and the columns a request may carry but that are
    never used (ids, labels).
``split(frames, seed) → Split``
    The official evaluation protocol; ``frames`` maps dataset name → rows.
``features(frame) → X`` and ``target(frame) → y``
    Raw rows → model inputs (also used when serving) and aligned targets.
``model_factory(seed, quick=False) → estimator``
    A fresh scikit-learn-style estimator (``fit``/``predict``); ``quick`` is
    a small budget for tests. Hyper-parameters and thresholds are chosen
    inside ``fit``, on training data only. A ``params`` dataclass attribute
    (or ``get_params()``) is recorded with the model.
``metrics(model, X, y)``, ``kpis(model, X, y)``
    ``{name: float}`` on one split; the test-split values are recorded.
``explainer(model, X) → Explanation``
    One row of contributions per row of ``X`` (:func:`~kiwerk.core.explain.tree_shap`,
    :func:`~kiwerk.core.explain.gradient_attribution`).
``predict(model, X) → DataFrame``
    The table a request gets back.
``cv(X, y, folds, seed)``
    The folds of the training part (:func:`stratified_folds`,
    :func:`group_folds` for engines or patients).
``promotion``
    The :class:`~kiwerk.core.models.PromotionRule` for candidate → production.

Registering
-----------
Write ``my_pilot() -> DomainPipeline`` in the domain and add it to
``kiwerk.interfaces.cli.pilots.pilot_catalog``; ``kiwerk train NAME``,
``evaluate``, ``explain`` and ``models ...`` then work, and the contract suite
in ``tests/contract`` runs against it. In code::

    report = train_pilot(pilot, PoolSource(pool, actor=user), registry)
    evaluate_pilot(pilot, PoolSource(pool, actor=user), registry)
    ServedModel.load(pilot, registry).explain(request_rows)
"""

from kiwerk.core.pipeline._catalog import PilotCatalog
from kiwerk.core.pipeline._evaluate import EvaluationReport, evaluate_pilot
from kiwerk.core.pipeline._folds import group_folds, stratified_folds
from kiwerk.core.pipeline._inputs import validate_inputs
from kiwerk.core.pipeline._pool import PoolSource, dataset_org, ensure_datasets
from kiwerk.core.pipeline._search import (
    Choice,
    Dimension,
    IntRange,
    SearchSpace,
    TunedFactory,
    Uniform,
)
from kiwerk.core.pipeline._source import (
    DataSource,
    FrameSource,
    frame_hash,
    read_recorded,
)
from kiwerk.core.pipeline._spec import (
    DataContract,
    DatasetContract,
    DomainPipeline,
    Estimator,
    Folds,
    InputColumn,
    ModelFactory,
    Split,
)
from kiwerk.core.pipeline._train import (
    FitMap,
    Progress,
    TrainParams,
    TrainReport,
    cross_validate,
    fit_models,
    model_params,
    read_training_data,
    train_pilot,
)

__all__ = [
    "Choice",
    "DataContract",
    "DataSource",
    "DatasetContract",
    "Dimension",
    "DomainPipeline",
    "Estimator",
    "EvaluationReport",
    "FitMap",
    "Folds",
    "FrameSource",
    "InputColumn",
    "IntRange",
    "ModelFactory",
    "PilotCatalog",
    "PoolSource",
    "Progress",
    "SearchSpace",
    "Split",
    "TrainParams",
    "TrainReport",
    "TunedFactory",
    "Uniform",
    "cross_validate",
    "dataset_org",
    "ensure_datasets",
    "evaluate_pilot",
    "fit_models",
    "frame_hash",
    "group_folds",
    "model_params",
    "read_recorded",
    "read_training_data",
    "stratified_folds",
    "train_pilot",
    "validate_inputs",
]
