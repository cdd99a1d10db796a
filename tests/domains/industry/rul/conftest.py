"""Fixtures for the RUL tests.

- ``fleet``: a hand-made run-to-failure fleet (8 engines, 2 sensors that drift
  towards failure, 19 constant ones), small enough to train on in seconds.
- ``fleet_three_conditions``: the same, switching between 3 operating conditions
  whose settings shift sensor s_2's level.
- ``fast_params``: estimator parameters that train in about a second.
- ``fd001_slice``: the first 12 training engines of the real FD001 subset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kiwerk.datasets import load_cmapss
from kiwerk.domains.industry.rul import RulParams
from kiwerk.domains.industry.rul._validate import COLUMNS


def make_fleet(n_units: int, seed: int, conditions: int = 1) -> pd.DataFrame:
    """Engines of 40–70 cycles whose sensors s_2 and s_3 rise as they wear."""
    rng = np.random.default_rng(seed)
    rows = []
    levels = np.array([[0.0, 0.0, 100.0], [20.0, 0.7, 60.0], [42.0, 0.84, 100.0]])
    for unit in range(1, n_units + 1):
        life = int(rng.integers(40, 71))
        for cycle in range(1, life + 1):
            wear = max(0.0, cycle - life + 30) / 30.0
            cond = levels[rng.integers(conditions)]
            row = dict.fromkeys(COLUMNS, 1.0)
            row.update(unit=unit, cycle=cycle, setting_1=cond[0], setting_2=cond[1])
            row["setting_3"] = cond[2]
            row["s_2"] = 10.0 * cond[0] + wear + rng.normal(0, 0.05)
            row["s_3"] = 5.0 - 2.0 * wear + rng.normal(0, 0.05)
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


@pytest.fixture(scope="session")
def fleet() -> pd.DataFrame:
    """Eight synthetic run-to-failure engines in one operating condition."""
    return make_fleet(8, seed=1)


@pytest.fixture(scope="session")
def fleet_three_conditions() -> pd.DataFrame:
    """Eight synthetic engines switching between three operating conditions."""
    return make_fleet(8, seed=2, conditions=3)


@pytest.fixture(scope="session")
def fast_params() -> RulParams:
    """An ensemble small enough to train in about a second."""
    return RulParams(
        model="ensemble", window=10, steps=30, folds=4, gbm_trees=20, eval_min_cycle=10
    )


@pytest.fixture(scope="session")
def fd001_slice(data_dir: Path) -> pd.DataFrame:
    """The first 12 training engines of the real FD001 subset."""
    train = load_cmapss("FD001", directory=data_dir / "cmapss").train
    return train[train["unit"] <= 12].reset_index(drop=True)
