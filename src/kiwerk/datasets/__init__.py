"""The real benchmark datasets kiwerk's pilots and benchmarks run on.

The registry (:func:`registry`) lists every dataset folder of the data root
(``KIWERK_DATA``) with licence, canonical URLs and each file's sha256 and size.
:func:`locate` returns a dataset's verified folder, downloading absent files
when allowed; the ``load_*`` functions read a folder into typed objects.

Examples
--------
>>> from kiwerk.settings import Settings
>>> folder = locate("skab", Settings().data)  # doctest: +SKIP
>>> len(load_skab(directory=folder)["valve1"])  # doctest: +SKIP
16
"""

from kiwerk.datasets._ai4i import load_ai4i
from kiwerk.datasets._checksum import ChecksumCache, sha256_file
from kiwerk.datasets._cmapss import CmapssSubset, load_cmapss
from kiwerk.datasets._cwru import CwruRecord, load_cwru
from kiwerk.datasets._dicom import DicomSample, load_dicom_samples
from kiwerk.datasets._download import transfer_progress
from kiwerk.datasets._locate import (
    FileState,
    FileStatus,
    VerifyReport,
    locate,
    verify_dataset,
)
from kiwerk.datasets._medmnist import ImageSplit, PneumoniaMnist, load_pneumoniamnist
from kiwerk.datasets._osm import OsmExtract, load_osm_aachen, read_osm_header
from kiwerk.datasets._registry import (
    DatasetSpec,
    FileSpec,
    get_dataset,
    registry,
    select_datasets,
)
from kiwerk.datasets._skab import SkabExperiment, load_skab, read_skab_csv
from kiwerk.datasets._sumo import SumoScenario, load_resco, read_sumocfg
from kiwerk.datasets._traffic import (
    LosLoop,
    MetrLaGraph,
    load_los_loop,
    load_metr_la_graph,
    read_adj_pickle,
)
from kiwerk.datasets._vrp import VrpInstance, load_cvrplib_x, load_solomon

__all__ = [
    "ChecksumCache",
    "CmapssSubset",
    "CwruRecord",
    "DatasetSpec",
    "DicomSample",
    "FileSpec",
    "FileState",
    "FileStatus",
    "ImageSplit",
    "LosLoop",
    "MetrLaGraph",
    "OsmExtract",
    "PneumoniaMnist",
    "SkabExperiment",
    "SumoScenario",
    "VerifyReport",
    "VrpInstance",
    "get_dataset",
    "load_ai4i",
    "load_cmapss",
    "load_cvrplib_x",
    "load_cwru",
    "load_dicom_samples",
    "load_los_loop",
    "load_metr_la_graph",
    "load_osm_aachen",
    "load_pneumoniamnist",
    "load_resco",
    "load_skab",
    "load_solomon",
    "locate",
    "read_adj_pickle",
    "read_osm_header",
    "read_skab_csv",
    "read_sumocfg",
    "registry",
    "select_datasets",
    "sha256_file",
    "transfer_progress",
    "verify_dataset",
]
