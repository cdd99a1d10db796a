"""The governed data pool: versioned datasets, contracts, quality, privacy, audit.

Examples
--------
>>> from kiwerk.core.data import Pool, DatasetSpec, ColumnSpec
"""

from kiwerk.core.data._audit import AuditEntry, AuditLog, AuditVerification
from kiwerk.core.data._contracts import builtin_contract, builtin_contracts
from kiwerk.core.data._ingest import StagedVersion, stage
from kiwerk.core.data._pool import Pool
from kiwerk.core.data._privacy import (
    KAnonymityReport,
    PoolSecrets,
    Pseudonymiser,
    k_anonymity,
    load_secrets,
    mask_text,
)
from kiwerk.core.data._quality import ColumnStats, QualityReport, Violation
from kiwerk.core.data._query import VersionDiff
from kiwerk.core.data._spec import ColumnSpec, DatasetSpec
from kiwerk.core.data._types import (
    DatasetInfo,
    IngestReport,
    Level,
    Purpose,
    Role,
    VersionInfo,
)

__all__ = [
    "AuditEntry",
    "AuditLog",
    "AuditVerification",
    "ColumnSpec",
    "ColumnStats",
    "DatasetInfo",
    "DatasetSpec",
    "IngestReport",
    "KAnonymityReport",
    "Level",
    "Pool",
    "PoolSecrets",
    "Pseudonymiser",
    "Purpose",
    "QualityReport",
    "Role",
    "StagedVersion",
    "VersionDiff",
    "VersionInfo",
    "Violation",
    "builtin_contract",
    "builtin_contracts",
    "k_anonymity",
    "load_secrets",
    "mask_text",
    "stage",
]
