"""``kiwerk demo``'s live line scores the registered RUL model per engine."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from kiwerk.core.models import ModelRegistry
from kiwerk.domains.industry.rul._validate import COLUMNS
from kiwerk.domains.industry.stream import (
    BrokerConfig,
    LineConfig,
    MachineConfig,
    ModelConfig,
)
from kiwerk.interfaces.cli.demo_live import rul_scorer
from kiwerk.settings import Settings
from tests.domains.industry.rul.conftest import make_fleet
from tests.domains.industry.stream.conftest import register_rul_model

SENSORS = tuple(c for c in COLUMNS if c not in ("unit", "cycle"))


def test_demo_line_scores_the_newest_rul_model(
    tmp_path: Path, mlflow_db_template: Path
) -> None:
    """No model: detectors only; a registered one is scored for every engine."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(mlflow_db_template, home / "mlflow.db")
    settings = Settings(home=home, download=False)
    machines = tuple(MachineConfig(f"e{i}", f"line/e{i}", SENSORS) for i in range(3))
    line = replace(
        LineConfig(BrokerConfig(), machines), model=ModelConfig("industry-rul")
    )
    assert rul_scorer(settings, line) is None
    assert rul_scorer(settings, replace(line, model=None)) is None
    registry = ModelRegistry(settings.tracking_uri, home / "mlartifacts")
    served = register_rul_model(registry, make_fleet(8, seed=1))
    scorer = rul_scorer(settings, line)
    assert scorer is not None
    assert scorer.kind == "rul"
    assert scorer.names == ["e0", "e1", "e2"]
    assert scorer.served.record.version == served.record.version
