"""Request and response bodies of the API (``XCreate`` in, ``XPublic`` out)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Names of organisations, users and datasets (the pool's rule).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, examples=["acme"])]
RoleName = Literal["owner", "analyst", "viewer"]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Problem(BaseModel):
    """An RFC 9457 problem-details body."""

    type: str = Field(examples=["https://kiwerk.dev/problems/not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["dataset 'pumps' not found"])
    instance: str | None = Field(default=None, examples=["/datasets/pumps"])
    errors: list[dict[str, Any]] | None = None
    source: str | None = None
    line: int | None = None
    field: str | None = None


class Health(_Out):
    """Liveness of the service."""

    status: Literal["ok"] = "ok"
    version: str


class Token(_Out):
    """An access token (OAuth2 password flow)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(examples=[900])


class SessionCreate(BaseModel):
    """A browser login: user name and password (JSON, never a form)."""

    username: str = Field(min_length=1, max_length=200, examples=["ada"])
    password: str = Field(min_length=1, max_length=256)


class SessionPublic(_Out):
    """A browser session: who, their roles, the CSRF value and its lifetime."""

    actor: str = Field(examples=["ada"])
    roles: dict[str, str] = Field(examples=[{"acme": "owner"}])
    csrf_token: str
    expires_in: int = Field(examples=[900])


class Me(_Out):
    """The caller and its roles."""

    actor: str = Field(examples=["ada"])
    kind: Literal["user", "key"]
    roles: dict[str, str] = Field(examples=[{"acme": "owner"}])


class PasswordChange(BaseModel):
    """A user's new password, proven by the old one."""

    old_password: str = Field(max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


class OrgCreate(BaseModel):
    """A new organisation and its first owner (default: the caller).

    A first owner new to kiwerk needs ``owner_password``.
    """

    name: Name
    owner: Name | None = Field(default=None, examples=["bob"])
    owner_password: str | None = Field(default=None, min_length=8, max_length=256)


class OrgPublic(_Out):
    """An organisation the caller belongs to."""

    name: str
    role: str
    members: dict[str, str] = Field(examples=[{"ada": "owner", "ana": "analyst"}])


class UserCreate(BaseModel):
    """A member to add to an organisation; a new user needs a password."""

    name: Name = Field(examples=["ana"])
    role: RoleName = Field(examples=["analyst"])
    password: str | None = Field(
        default=None, min_length=8, max_length=256, examples=["a long passphrase"]
    )


class UserPublic(_Out):
    """A membership."""

    name: str
    org: str
    role: str


class ApiKeyCreate(BaseModel):
    """A new API key for a machine, scoped to the organisation and a role."""

    name: str = Field(min_length=1, max_length=128, examples=["line-3 gateway"])
    role: RoleName = Field(default="viewer")
    rate_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)
    ttl_days: float | None = Field(default=None, gt=0, le=3650)


class ApiKeyPublic(_Out):
    """An API key as listed (never its secret)."""

    key_id: str
    name: str
    org: str
    role: str
    created_by: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None
    rate_per_minute: int


class ApiKeyCreated(ApiKeyPublic):
    """A new API key: ``key`` is shown this once and never stored."""

    key: str = Field(examples=["kw_0123456789ab_..."])


class DatasetCreate(BaseModel):
    """A new, empty dataset of an organisation, with its contract."""

    name: Name = Field(examples=["pumps"])
    org: Name
    spec: dict[str, Any] | None = Field(
        default=None,
        examples=[{"columns": {"temp": {"dtype": "float", "min": -40}}}],
    )


class DatasetPublic(_Out):
    """A dataset the caller can see, with the caller's access."""

    name: str
    org: str
    versions: int
    created_at: str
    access: str = Field(examples=["owner", "read", "train"])


class DatasetDetail(DatasetPublic):
    """A dataset with its contract."""

    spec: dict[str, Any]


class SpecUpdate(BaseModel):
    """A replacement contract for later ingests."""

    spec: dict[str, Any]


class VersionPublic(_Out):
    """One immutable version of a dataset."""

    dataset: str
    version: int
    content_hash: str
    rows: int
    created_at: str
    created_by: str
    quarantined: int
    columns: list[str]
    source: str
    k_min: int | None


class IngestResult(_Out):
    """What an upload stored."""

    dataset: str
    version: int
    content_hash: str
    rows: int
    quarantined: int
    quality: dict[str, Any]


class Rows(_Out):
    """A page of rows of one version."""

    dataset: str
    version: int
    offset: int
    limit: int
    total: int
    rows: list[dict[str, Any]]


class GrantUpdate(BaseModel):
    """The level of a grant: ``read`` or ``train`` (train-only)."""

    level: Literal["read", "train"]


class GrantPublic(_Out):
    """A grant of a dataset to another organisation."""

    org: str
    level: str


class AuditEntryPublic(_Out):
    """One audit-log entry."""

    seq: int
    ts: str
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    hash: str


class AuditVerifyResult(_Out):
    """The result of checking the audit chain."""

    ok: bool
    entries: int
    head: str | None
    error: str | None = None


class JobPublic(_Out):
    """A background job and its progress (0..1)."""

    job_id: str
    kind: str
    org: str
    created_by: str
    status: str
    progress: float
    message: str
    result: dict[str, Any] | None
    created_at: float
    updated_at: float


class ModelVersionPublic(_Out):
    """One registered version of a pilot's model."""

    name: str
    version: int
    aliases: list[str]
    metrics: dict[str, float]
    kpis: dict[str, float]
    datasets: list[dict[str, Any]]
    created_ms: int


class ModelPublic(_Out):
    """A pilot's model with its versions, newest first."""

    name: str
    title: str
    org: str
    inputs: list[str]
    versions: list[ModelVersionPublic]


class PromoteRequest(BaseModel):
    """The version to make production."""

    version: int = Field(ge=1, examples=[1])


class PredictRequest(BaseModel):
    """One request row: input column → value."""

    input: dict[str, Any] = Field(
        examples=[
            {
                "Type": "M",
                "Air temperature [K]": 298.1,
                "Process temperature [K]": 308.6,
                "Rotational speed [rpm]": 1551,
                "Torque [Nm]": 42.8,
                "Tool wear [min]": 0,
            }
        ]
    )


class PredictResult(_Out):
    """The prediction for one row."""

    model: str
    version: int
    prediction: dict[str, Any]


class BatchRequest(BaseModel):
    """Many rows, as records (``rows``) or column arrays (``columns``)."""

    rows: list[dict[str, Any]] | None = Field(default=None, max_length=1_000_000)
    columns: dict[str, list[Any]] | None = None


class BatchResult(_Out):
    """Predictions for many rows, one array per output column."""

    model: str
    version: int
    rows: int
    predictions: dict[str, list[Any]]


class ExplainRequest(BaseModel):
    """Rows to predict and explain, and how many contributions to show."""

    rows: list[dict[str, Any]] = Field(min_length=1, max_length=1000)
    top: int = Field(default=3, ge=1, le=50)


class ExplainedRow(_Out):
    """A prediction and its largest feature contributions."""

    prediction: dict[str, Any]
    contributions: dict[str, float]


class ExplainResult(_Out):
    """Explanations of each row."""

    model: str
    version: int
    output: str
    rows: list[ExplainedRow]


class TrainRequest(BaseModel):
    """How to train: seed, quick (small budget), ingest missing data first."""

    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    quick: bool = False
    ingest: bool = False


class MonitoringResult(_Out):
    """Drift series of a served version for plotting."""

    model: str
    version: int
    params: dict[str, Any]
    state: dict[str, Any]
    windows: list[dict[str, Any]]
    logged_predictions: list[dict[str, Any]]


__all__ = [
    "NAME_PATTERN",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyPublic",
    "AuditEntryPublic",
    "AuditVerifyResult",
    "BatchRequest",
    "BatchResult",
    "DatasetCreate",
    "DatasetDetail",
    "DatasetPublic",
    "ExplainRequest",
    "ExplainResult",
    "ExplainedRow",
    "GrantPublic",
    "GrantUpdate",
    "Health",
    "IngestResult",
    "JobPublic",
    "Me",
    "ModelPublic",
    "ModelVersionPublic",
    "MonitoringResult",
    "Name",
    "OrgCreate",
    "OrgPublic",
    "PasswordChange",
    "PredictRequest",
    "PredictResult",
    "Problem",
    "PromoteRequest",
    "RoleName",
    "Rows",
    "SessionCreate",
    "SessionPublic",
    "SpecUpdate",
    "Token",
    "TrainRequest",
    "UserCreate",
    "UserPublic",
    "VersionPublic",
]
