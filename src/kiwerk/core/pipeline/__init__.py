"""The one pilot pipeline: contract → features → train → evaluate → explain."""

from kiwerk.core.pipeline._catalog import PilotCatalog
from kiwerk.core.pipeline._evaluate import EvaluationReport, evaluate_pilot
from kiwerk.core.pipeline._folds import group_folds, stratified_folds
from kiwerk.core.pipeline._inputs import validate_inputs
from kiwerk.core.pipeline._pool import PoolSource, dataset_org, ensure_datasets
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
    Progress,
    TrainParams,
    TrainReport,
    cross_validate,
    model_params,
    read_training_data,
    train_pilot,
)

__all__ = [
    "DataContract",
    "DataSource",
    "DatasetContract",
    "DomainPipeline",
    "Estimator",
    "EvaluationReport",
    "Folds",
    "FrameSource",
    "InputColumn",
    "ModelFactory",
    "PilotCatalog",
    "PoolSource",
    "Progress",
    "Split",
    "TrainParams",
    "TrainReport",
    "cross_validate",
    "dataset_org",
    "ensure_datasets",
    "evaluate_pilot",
    "frame_hash",
    "group_folds",
    "model_params",
    "read_recorded",
    "read_training_data",
    "stratified_folds",
    "train_pilot",
    "validate_inputs",
]
