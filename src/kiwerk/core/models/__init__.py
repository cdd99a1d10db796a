"""Model tracking, registry and promotion on MLflow."""

from kiwerk.core.models._promotion import (
    AuditTrail,
    Governance,
    PromotionRefused,
    PromotionRule,
    promote,
)
from kiwerk.core.models._record import Alias, DatasetRef, ModelRecord
from kiwerk.core.models._registry import ModelRegistry
from kiwerk.core.models._version import CodeVersion, code_version

__all__ = [
    "Alias",
    "AuditTrail",
    "CodeVersion",
    "DatasetRef",
    "Governance",
    "ModelRecord",
    "ModelRegistry",
    "PromotionRefused",
    "PromotionRule",
    "code_version",
    "promote",
]
