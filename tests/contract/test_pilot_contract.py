"""One contract suite, run against every pilot the application registers.

A new domain pilot passes these checks without new scaffolding: it declares
its data contract, splits reproducibly, never feeds labels or identifiers to
its model, trains and registers through the shared pipeline on the real pool,
re-evaluates to the recorded metrics, and serves checked requests.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from kiwerk.core.data import Pool
from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import (
    DomainPipeline,
    PoolSource,
    TrainParams,
    TrainReport,
    ensure_datasets,
    evaluate_pilot,
    read_training_data,
    train_pilot,
)
from kiwerk.core.serving import ServedModel
from kiwerk.errors import ContractViolation
from kiwerk.interfaces.cli.pilots import pilot_catalog

PILOTS = list(pilot_catalog())


@dataclass
class Trained:
    """A pilot trained once (quick) on a fresh pool and registry."""

    pilot: DomainPipeline
    source: PoolSource
    registry: ModelRegistry
    report: TrainReport


@pytest.fixture(scope="module", params=PILOTS, ids=lambda p: p.name)
def trained(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mlflow_db_template: Path,
    data_dir: Path,
) -> Trained:
    """Each pilot ingested into a fresh pool and trained once with a small budget."""
    pilot: DomainPipeline = request.param
    home = tmp_path_factory.mktemp(pilot.name)
    pool = Pool.open(home / "pool", secrets_path=home / "secrets.toml")
    ensure_datasets(pool, pilot, data_dir=data_dir, actor="owner")
    shutil.copyfile(mlflow_db_template, home / "mlflow.db")
    registry = ModelRegistry(f"sqlite:///{home / 'mlflow.db'}", home / "mlartifacts")
    source = PoolSource(pool, actor="owner")
    report = train_pilot(pilot, source, registry, TrainParams(seed=5, quick=True))
    return Trained(pilot, source, registry, report)


@pytest.mark.parametrize("pilot", PILOTS, ids=lambda p: p.name)
def test_contract_is_declared(pilot: DomainPipeline, data_dir: Path) -> None:
    """Datasets are locatable, requests have columns, the rule names a metric."""
    for contract in pilot.contract.datasets:
        assert contract.locate(data_dir).is_file(), contract.name
    assert pilot.contract.inputs
    assert not {c.name for c in pilot.contract.inputs} & set(pilot.contract.ignored)
    assert pilot.promotion.metric
    assert pilot.title


@pytest.mark.slow
def test_split_is_reproducible_and_features_hold_no_labels(trained: Trained) -> None:
    """The seed fixes the split; features carry no ignored column; rows align."""
    pilot = trained.pilot
    frames, _ = read_training_data(pilot, trained.source)
    a, b = pilot.split(frames, 5), pilot.split(frames, 5)
    pd.testing.assert_frame_equal(a.test, b.test)
    X = pilot.features(a.train)
    assert not set(X.columns) & set(pilot.contract.ignored)
    assert len(X) == len(pilot.target(a.train))
    assert len(a.train) > len(a.test) > 0


@pytest.mark.slow
def test_training_registers_a_complete_version(trained: Trained) -> None:
    """The version carries pool dataset versions, rule metric, CV, explanation."""
    report, pilot = trained.report, trained.pilot
    record = report.record
    assert record.name == pilot.name
    assert record.stage == "candidate"
    assert sorted(d.name for d in record.datasets) == sorted(pilot.dataset_names)
    assert all(d.version >= 1 and len(d.content_hash) == 64 for d in record.datasets)
    assert pilot.promotion.metric in record.metrics
    assert any(k.endswith(".sd") for k in record.cv_metrics)
    assert record.explanation["importance"]
    assert record.kpis == pytest.approx(report.kpis)


@pytest.mark.slow
def test_same_seed_same_metrics(trained: Trained) -> None:
    """Training again with the same seed reproduces every metric exactly."""
    again = train_pilot(
        trained.pilot, trained.source, trained.registry, TrainParams(seed=5, quick=True)
    )
    assert again.metrics == trained.report.metrics
    assert again.cv_mean == trained.report.cv_mean


@pytest.mark.slow
def test_evaluation_reproduces_the_record(trained: Trained) -> None:
    """Evaluating the registered version on its recorded data repeats its metrics."""
    report = evaluate_pilot(
        trained.pilot, trained.source, trained.registry, trained.report.record.version
    )
    assert report.reproduced


@pytest.mark.slow
def test_serving_predicts_explains_and_checks_requests(trained: Trained) -> None:
    """Raw rows get one prediction and explanation each; a missing column is named."""
    pilot = trained.pilot
    frames, _ = read_training_data(pilot, trained.source)
    rows = pilot.split(frames, 5).test.head(20)
    served = ServedModel.load(pilot, trained.registry, trained.report.record.version)
    predictions, explanation = served.explain(rows)
    assert len(predictions) == explanation.rows == len(pilot.features(rows))
    first = pilot.contract.inputs[0].name
    with pytest.raises(ContractViolation) as caught:
        served.predict(rows.drop(columns=[first]))
    assert caught.value.field == first
