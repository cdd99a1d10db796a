"""Serving: load a registered model, predict and explain checked requests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import DomainPipeline, FrameSource, TrainParams, train_pilot
from kiwerk.core.serving import ServedModel, read_request_file
from kiwerk.errors import ContractViolation, DataFormatError, NotFound


def test_explaining_a_never_trained_pilot_is_a_clear_error(
    toy_pilot: DomainPipeline, registry: ModelRegistry
) -> None:
    """Loading a model that was never trained names the pilot and the fix."""
    with pytest.raises(NotFound, match=r"'toy-pilot'.*never trained"):
        ServedModel.load(toy_pilot, registry)


def test_served_model_predicts_like_the_trained_one(
    toy_pilot: DomainPipeline,
    toy_source: FrameSource,
    toy_rows: pd.DataFrame,
    registry: ModelRegistry,
) -> None:
    """Predictions and explanations come back one row per request row."""
    train_pilot(toy_pilot, toy_source, registry, TrainParams(quick=True))
    served = ServedModel.load(toy_pilot, registry)
    request = toy_rows.head(5)
    table = served.predict(request)
    assert list(table.columns) == ["probability", "label"]
    assert (
        table["label"].tolist()
        == served.model.predict(toy_pilot.features(request)).tolist()
    )
    predictions, explanation = served.explain(request)
    assert len(predictions) == explanation.rows == 5
    assert list(explanation.contributions.columns) == ["a", "b", "kind_x"]


def test_bad_request_rows_are_named(
    toy_pilot: DomainPipeline, toy_source: FrameSource, registry: ModelRegistry
) -> None:
    """A non-numeric value is reported with its file line and column."""
    train_pilot(toy_pilot, toy_source, registry, TrainParams(quick=True))
    served = ServedModel.load(toy_pilot, registry)
    request = pd.DataFrame({"a": ["1", "x"], "b": ["0", "1"], "kind": ["x", "y"]})
    with pytest.raises(ContractViolation, match=r"req.csv, line 3, field 'a'"):
        served.predict(request, source="req.csv", first_line=2)


def test_request_files_are_read_as_text_with_their_first_line(tmp_path: Path) -> None:
    """CSV requests start at line 2; JSON lines at 1; missing files are named."""
    csv = tmp_path / "r.csv"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    frame, first = read_request_file(csv)
    assert first == 2
    assert frame["a"].tolist() == ["1"]
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text('{"a": 1}\n', encoding="utf-8")
    assert read_request_file(jsonl)[1] == 1
    with pytest.raises(DataFormatError, match="no such file"):
        read_request_file(tmp_path / "absent.csv")
    broken = tmp_path / "r.parquet"
    broken.write_text("not parquet", encoding="utf-8")
    with pytest.raises(DataFormatError, match="cannot read"):
        read_request_file(broken)
