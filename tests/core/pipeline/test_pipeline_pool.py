"""The pipeline on the real data pool: ingest once, train-only grants, promotion."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kiwerk.core.data import Pool
from kiwerk.core.models import ModelRegistry, PromotionRefused, PromotionRule, promote
from kiwerk.core.pipeline import (
    DomainPipeline,
    PoolSource,
    TrainParams,
    dataset_org,
    ensure_datasets,
    evaluate_pilot,
    train_pilot,
)
from kiwerk.errors import AccessDenied, DatasetUnavailable


@pytest.fixture
def pool(tmp_path: Path) -> Pool:
    """An empty pool with its own secrets file."""
    return Pool.open(tmp_path / "pool", secrets_path=tmp_path / "secrets.toml")


@pytest.fixture
def toy_data(tmp_path: Path, toy_rows: pd.DataFrame) -> Path:
    """A data folder holding ``toy.csv`` (the toy pilot's file)."""
    folder = tmp_path / "data"
    folder.mkdir()
    toy_rows.to_csv(folder / "toy.csv", index=False)
    return folder


def test_first_training_ingests_then_reads_the_pool(
    pool: Pool, toy_pilot: DomainPipeline, toy_data: Path, registry: ModelRegistry
) -> None:
    """An empty pool is bootstrapped and fed once; the run records its version."""
    [report] = ensure_datasets(pool, toy_pilot, data_dir=toy_data, actor="ada")
    assert ensure_datasets(pool, toy_pilot, data_dir=toy_data, actor="ada") == []
    assert dataset_org(pool, "toy", actor="ada") == "toy-org"
    trained = train_pilot(
        toy_pilot, PoolSource(pool, actor="ada"), registry, TrainParams(quick=True)
    )
    [ref] = trained.record.datasets
    assert (ref.name, ref.version, ref.rows, ref.org) == ("toy", 1, 600, "toy-org")
    assert ref.content_hash == report.content_hash
    reads = [e for e in pool.audit.entries() if e.action == "train"]
    assert reads
    assert reads[-1].target == "toy@1"


def test_missing_file_for_an_absent_dataset_is_named(
    pool: Pool, toy_pilot: DomainPipeline, tmp_path: Path
) -> None:
    """Ingest-if-absent with no file names the path and changes nothing."""
    with pytest.raises(DatasetUnavailable, match=r"toy\.csv"):
        ensure_datasets(pool, toy_pilot, data_dir=tmp_path / "empty", actor="ada")
    assert pool.organisations() == []


def test_train_only_grant_trains_but_cannot_export(
    pool: Pool, toy_pilot: DomainPipeline, toy_data: Path, registry: ModelRegistry
) -> None:
    """Another org with a train-only grant trains a model; reading rows is refused."""
    ensure_datasets(pool, toy_pilot, data_dir=toy_data, actor="ada")
    pool.create_organisation("clinic", actor="ada")
    pool.add_user("bob", org="clinic", role="owner", actor="ada")
    pool.grant("toy", to_org="clinic", level="train", actor="ada")
    report = train_pilot(
        toy_pilot, PoolSource(pool, actor="bob"), registry, TrainParams(quick=True)
    )
    assert report.metrics["accuracy"] > 0.7
    assert evaluate_pilot(toy_pilot, PoolSource(pool, actor="bob"), registry).reproduced
    for purpose in ("read", "export"):
        with pytest.raises(AccessDenied):
            pool.read("toy", actor="bob", purpose=purpose)


def test_promotion_on_the_pool_is_owner_only_and_audited(
    pool: Pool, toy_pilot: DomainPipeline, toy_data: Path, registry: ModelRegistry
) -> None:
    """Only an owner of the data's org promotes; the pool's audit log records it."""
    ensure_datasets(pool, toy_pilot, data_dir=toy_data, actor="ada")
    pool.add_user("carl", org="toy-org", role="analyst", actor="ada")
    version = train_pilot(
        toy_pilot, PoolSource(pool, actor="ada"), registry, TrainParams(quick=True)
    ).record.version
    rule = toy_pilot.promotion
    with pytest.raises(AccessDenied):
        promote(
            registry,
            "toy-pilot",
            version,
            actor="carl",
            org="toy-org",
            governance=pool,
            rule=rule,
        )
    with pytest.raises(PromotionRefused):
        promote(
            registry,
            "toy-pilot",
            version,
            actor="ada",
            org="toy-org",
            governance=pool,
            rule=PromotionRule("accuracy", 0.999),
        )
    promote(
        registry,
        "toy-pilot",
        version,
        actor="ada",
        org="toy-org",
        governance=pool,
        rule=rule,
    )
    assert registry.resolve("toy-pilot").stage == "production"
    actions = [e.action for e in pool.audit.entries() if e.target.startswith("model:")]
    assert actions == ["model.promote.refused", "model.promote"]
    assert pool.audit.verify().entries == len(pool.audit.entries())
