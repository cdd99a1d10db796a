"""Scale-out: the same pipeline in-process or on a Ray cluster.

``RayParams`` says where work runs (``--ray auto|local|ADDRESS`` or the
``ray_address`` setting; in-process when neither is given). On top of it:

``tune_pilot``
    Hyper-parameter search over a pilot's :class:`~kiwerk.core.pipeline.SearchSpace`
    on validation folds of the training part, with ASHA early stopping
    (in-process sequential, or Ray Tune).
``ray_fit_map``
    Training a pilot with its cross-validation and final fits as Ray tasks
    (``train_pilot(..., fit_map=ray_fit_map(ray))``).
``score_files``
    Batch scoring of Parquet files with a registered model, streamed in
    bounded batches (pyarrow in-process, or Ray Data), Parquet out.
``ShardPool``
    Keyed scorers (the stream monitor's machines) sharded by a stable hash
    of the key, in-process or over Ray actors that are re-homed when lost.

In-process and Ray runs of the same seed give identical results.
"""

from kiwerk.core.scale._asha import Asha
from kiwerk.core.scale._backend import RayParams, ray_reachable, ray_session
from kiwerk.core.scale._fit import ray_fit_map
from kiwerk.core.scale._score import (
    BatchScorer,
    PartWriter,
    ScoreParams,
    ScoreProgress,
    ScoreReport,
    score_files,
)
from kiwerk.core.scale._shard import (
    ShardFactory,
    ShardParams,
    ShardPool,
    ShardScorer,
    shard_of,
)
from kiwerk.core.scale._tune import (
    TrialResult,
    TuneData,
    TuneParams,
    TuneProgress,
    TuneReport,
    tune_pilot,
    tuning_data,
)

__all__ = [
    "Asha",
    "BatchScorer",
    "PartWriter",
    "RayParams",
    "ScoreParams",
    "ScoreProgress",
    "ScoreReport",
    "ShardFactory",
    "ShardParams",
    "ShardPool",
    "ShardScorer",
    "TrialResult",
    "TuneData",
    "TuneParams",
    "TuneProgress",
    "TuneReport",
    "ray_fit_map",
    "ray_reachable",
    "ray_session",
    "score_files",
    "shard_of",
    "tune_pilot",
    "tuning_data",
]
