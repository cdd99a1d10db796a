"""Re-evaluating a registered model on exactly the data it was trained on."""

from __future__ import annotations

from dataclasses import dataclass

from kiwerk.core.models import ModelRecord, ModelRegistry
from kiwerk.core.pipeline._source import DataSource, read_recorded
from kiwerk.core.pipeline._spec import DomainPipeline


@dataclass(frozen=True)
class EvaluationReport:
    """Test metrics measured now beside those recorded at training."""

    pilot: str
    record: ModelRecord
    metrics: dict[str, float]
    kpis: dict[str, float]

    @property
    def reproduced(self) -> bool:
        """Whether every recorded test metric was measured again (to 1e-9)."""
        recorded = self.record.metrics
        return all(
            abs(self.metrics.get(k, float("nan")) - v) <= 1e-9
            for k, v in recorded.items()
        )


def evaluate_pilot(
    pilot: DomainPipeline,
    source: DataSource,
    registry: ModelRegistry,
    ref: str | int | None = None,
) -> EvaluationReport:
    """Evaluate a registered version of ``pilot`` on its official test split.

    The dataset versions and the seed recorded with the model are read back
    (their content hashes checked), so the test split is the one it was
    evaluated on at training time.

    Raises
    ------
    NotFound
        When the pilot was never trained or ``ref`` does not exist.
    IntegrityError
        When a recorded dataset version's content changed.
    """
    record = registry.resolve(pilot.name, ref)
    frames = read_recorded(source, record.datasets)
    split = pilot.split(frames, record.seed)
    model = registry.load(record)
    X_test, y_test = pilot.features(split.test), pilot.target(split.test)
    return EvaluationReport(
        pilot=pilot.name,
        record=record,
        metrics=pilot.metrics(model, X_test, y_test),
        kpis=pilot.kpis(model, X_test, y_test),
    )
