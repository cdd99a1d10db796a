"""Survival risk models on the real datasets bundled with scikit-survival."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kiwerk.core.data import Pool
from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import (
    FrameSource,
    PoolSource,
    TrainParams,
    ensure_datasets,
    read_training_data,
    train_pilot,
    validate_inputs,
)
from kiwerk.domains.health import (
    SurvivalParams,
    cross_validate_survival,
    load_survival,
    make_survival_model,
    patient_risks,
    plot_survival_curves,
    risk_drivers,
    survival_features,
    survival_pilot,
)

FAST = SurvivalParams(n_trees=20, folds=3)


@pytest.mark.parametrize(
    ("name", "rows", "events"),
    [
        ("gbsg2", 686, 299),  # German Breast Cancer Study Group 2
        ("whas500", 500, 215),  # Worcester Heart Attack Study
        ("veterans", 137, 128),  # Veterans' Administration lung cancer trial
    ],
)
def test_bundled_datasets_load(name: str, rows: int, events: int) -> None:
    """Each bundled dataset has its documented size and number of events."""
    data = load_survival(name)  # type: ignore[arg-type]
    assert data.X.shape[0] == rows
    assert int(data.event.sum()) == events
    assert np.isfinite(data.X.to_numpy()).all()


@pytest.mark.parametrize("kind", ["cox", "rsf"])
def test_cross_validation_beats_chance(kind: str) -> None:
    """Both models rank veterans' survival clearly better than chance (C = 0.5)."""
    report = cross_validate_survival(load_survival("veterans"), kind, FAST, seed=1)  # type: ignore[arg-type]
    assert report.folds == 3
    assert report.harrell_c > 0.6
    assert report.uno_c > 0.6
    assert 0.0 < report.ibs < 0.25  # a non-informative model scores about 0.25


def test_cross_validation_is_reproducible() -> None:
    """The same seed gives the same scores."""
    data = load_survival("veterans")
    a = cross_validate_survival(data, "rsf", FAST, seed=3)
    b = cross_validate_survival(data, "rsf", FAST, seed=3)
    assert a == b


def test_cox_drivers_are_the_log_hazard_terms() -> None:
    """Cox drivers sum (over all features) to the patient's centred log-hazard."""
    data = load_survival("veterans")
    model = make_survival_model("cox", FAST).fit(data.X, data.y)
    row = data.X.iloc[[5]]
    drivers = risk_drivers(model, data.X, row, top=data.X.shape[1])
    centred = model.predict(row)[0] - model.predict(data.X).mean()
    assert sum(effect for _, effect in drivers) == pytest.approx(centred, abs=1e-6)
    assert abs(drivers[0][1]) >= abs(drivers[-1][1])


def test_forest_drivers_flag_the_karnofsky_score() -> None:
    """For a very ill patient the forest's top driver is the Karnofsky score."""
    data = load_survival("veterans")
    model = make_survival_model("rsf", SurvivalParams(n_trees=50)).fit(data.X, data.y)
    worst = data.X["Karnofsky_score"].idxmin()
    drivers = risk_drivers(model, data.X, data.X.loc[[worst]])
    assert drivers[0][0] == "Karnofsky_score"
    assert drivers[0][1] > 0


def test_survival_curves_are_saved_as_png(tmp_path: Path) -> None:
    """Per-patient curves are monotone and land in a readable PNG."""
    data = load_survival("gbsg2")
    model = make_survival_model("rsf", FAST).fit(data.X.iloc[:600], data.y[:600])
    patients = patient_risks(model, data.X.iloc[:600], data.X.iloc[600:603])
    assert all(np.all(np.diff(p.survival) <= 1e-12) for p in patients)
    assert all(len(p.drivers) == 3 for p in patients)
    path = plot_survival_curves(patients, tmp_path / "curves.png", title="GBSG2")
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert img.size[0] > 300


def test_unknown_dataset_and_model_are_refused() -> None:
    """Unknown names raise ValueError naming the choices."""
    with pytest.raises(ValueError, match="gbsg2"):
        load_survival("nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cox"):
        make_survival_model("svm")  # type: ignore[arg-type]


@pytest.mark.slow
def test_gbsg2_forest_matches_the_published_range() -> None:
    """5-fold RSF on GBSG2 lands near scikit-survival's published C of 0.676."""
    report = cross_validate_survival(
        load_survival("gbsg2"), "rsf", SurvivalParams(n_trees=100)
    )
    assert 0.64 < report.harrell_c < 0.72


def test_pooled_gbsg2_rows_are_valid_requests(tmp_path: Path, data_dir: Path) -> None:
    """horTh keeps its yes/no strings through the pool; pooled rows pass the check."""
    pilot = survival_pilot()
    pool = Pool.open(tmp_path / "pool", secrets_path=tmp_path / "secrets.toml")
    ensure_datasets(pool, pilot, data_dir=data_dir, actor="owner")
    frames, _ = read_training_data(pilot, PoolSource(pool, actor="owner"))
    rows = frames["gbsg2"]
    assert sorted(set(rows["horTh"])) == ["no", "yes"]
    inputs = [c.name for c in pilot.contract.inputs]
    checked = validate_inputs(rows[inputs], pilot.contract)
    hormone = survival_features(checked)["horTh=yes"]
    assert hormone.sum() == (rows["horTh"] == "yes").sum() > 0


@pytest.mark.slow
def test_survival_pilot_trains_through_the_shared_pipeline(
    registry: ModelRegistry,
) -> None:
    """``health-survival`` trains, explains and registers via train_pilot."""
    import pandas as pd

    pilot = survival_pilot()
    frame = pd.read_parquet(pilot.contract.datasets[0].locate(Path(".")))
    report = train_pilot(
        pilot, FrameSource({"gbsg2": frame}), registry, TrainParams(seed=0, quick=True)
    )
    assert report.record.name == "health-survival"
    assert report.metrics["harrell_c"] > 0.6
    assert report.record.cv_metrics["uno_c.mean"] > 0.55
    assert 0 < report.kpis["high_risk_share"] < 1
    assert next(iter(report.explanation["importance"])) in set(
        survival_features(frame).columns
    )
