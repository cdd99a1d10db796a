"""The industry-rul pilot on the shared pipeline: train, register, evaluate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import FrameSource, TrainParams, evaluate_pilot, train_pilot
from kiwerk.domains.industry.rul import (
    cmapss_frames,
    dataset_names,
    rul_pilot,
    truncated_folds,
)


@pytest.fixture(scope="module")
def small_fd001(data_dir: Path) -> dict[str, pd.DataFrame]:
    """FD001 cut to 12 training and 8 test engines, under the pool names."""
    frames = cmapss_frames("FD001", data_dir / "cmapss")
    train, test, rul = dataset_names("FD001")
    return {
        train: frames[train][frames[train]["unit"] <= 12],
        test: frames[test][frames[test]["unit"] <= 8],
        rul: frames[rul][frames[rul]["unit"] <= 8],
    }


def test_split_attaches_the_true_rul_per_row(
    small_fd001: dict[str, pd.DataFrame],
) -> None:
    """Train rows count down to 0; a test engine's last row has the RUL file value."""
    split = rul_pilot("FD001").split(small_fd001, 0)
    last_train = split.train.groupby("unit")["rul"].min()
    assert (last_train == 0).all()
    last_test = split.test.groupby("unit").last()["rul"]
    rul = small_fd001[dataset_names("FD001")[2]].set_index("unit")["rul"]
    pd.testing.assert_series_equal(last_test, rul.astype(float), check_names=False)


def test_cv_folds_keep_engines_whole_and_cut_held_out_ones(
    small_fd001: dict[str, pd.DataFrame],
) -> None:
    """No engine is on both sides; held-out engines are prefixes of their record."""
    split = rul_pilot("FD001").split(small_fd001, 0)
    for fit, held in truncated_folds(split.train, None, 3, seed=1):
        fit_units = set(split.train["unit"].iloc[fit])
        held_rows = split.train.iloc[held]
        assert fit_units.isdisjoint(held_rows["unit"])
        for _, rows in held_rows.groupby("unit"):
            assert list(rows["cycle"]) == list(range(1, len(rows) + 1))
        assert len(held_rows) < (~split.train["unit"].isin(fit_units)).sum()


@pytest.mark.slow
def test_pipeline_trains_registers_and_reproduces(
    small_fd001: dict[str, pd.DataFrame], registry: ModelRegistry
) -> None:
    """Quick run: registered with metrics, KPIs, sensor importance; re-evaluates."""
    pilot = rul_pilot("FD001")
    source = FrameSource(small_fd001)
    report = train_pilot(pilot, source, registry, TrainParams(seed=0, quick=True))
    assert report.record.name == "industry-rul"
    assert np.isfinite(report.metrics["rmse"])
    assert report.metrics["rmse"] < 60
    assert 0.0 <= report.metrics["coverage90"] <= 1.0
    assert {"cost_predictive", "cost_best_interval"} <= set(report.kpis)
    assert set(report.explanation["importance"]) <= {
        *(f"s_{i}" for i in range(1, 22)),
        "cycle",
    }
    again = evaluate_pilot(pilot, source, registry)
    assert again.reproduced
