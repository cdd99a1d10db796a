"""Pipeline parts: catalog, folds, data sources, request validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kiwerk.core.pipeline import (
    DomainPipeline,
    FrameSource,
    PilotCatalog,
    frame_hash,
    group_folds,
    stratified_folds,
    validate_inputs,
)
from kiwerk.errors import Conflict, ContractViolation, NotFound


def test_catalog_refuses_duplicates_and_lists_known_names(
    toy_pilot: DomainPipeline,
) -> None:
    """A second pilot of one name is refused; an unknown name lists the known."""
    catalog = PilotCatalog([toy_pilot])
    assert catalog.get("toy-pilot") is toy_pilot
    assert len(catalog) == 1
    with pytest.raises(Conflict):
        catalog.register(toy_pilot)
    with pytest.raises(NotFound, match="known pilots: toy-pilot"):
        catalog.get("nope")


def test_pilot_names_are_checked(toy_pilot: DomainPipeline) -> None:
    """A pilot name with spaces or slashes is refused."""
    import dataclasses

    with pytest.raises(ValueError, match="pilot name"):
        dataclasses.replace(toy_pilot, name="bad name/")


def test_stratified_folds_partition_and_keep_the_share() -> None:
    """Stratified folds cover each row once and keep the positive share."""
    y = pd.Series([1] * 20 + [0] * 80)
    folds = stratified_folds(pd.DataFrame({"x": range(100)}), y, 5, seed=1)
    held = np.concatenate([v for _, v in folds])
    assert sorted(held) == list(range(100))
    assert all(y.iloc[v].sum() == 4 for _, v in folds)


def test_group_folds_never_split_a_group() -> None:
    """Group folds keep each engine in exactly one validation fold."""
    X = pd.DataFrame({"unit": np.repeat(np.arange(10), 5)})
    folds = group_folds("unit")(X, None, 3, 0)
    seen = [set(X["unit"].iloc[v]) for _, v in folds]
    assert sum(len(s) for s in seen) == 10
    for fit, val in folds:
        assert not set(X["unit"].iloc[fit]) & set(X["unit"].iloc[val])


def test_frame_source_hash_tracks_content() -> None:
    """The frame source's hash changes with any value and unknown names fail."""
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    _, ref = FrameSource({"d": frame}).read("d")
    assert ref.content_hash == frame_hash(frame.copy())
    assert ref.content_hash != frame_hash(frame.assign(a=[1.0, 2.5]))
    with pytest.raises(NotFound):
        FrameSource({"d": frame}).read("e")
    with pytest.raises(NotFound):
        FrameSource({"d": frame}).read("d", version=3)


@pytest.mark.parametrize(
    ("frame", "field", "line", "message"),
    [
        # a column the contract needs is absent
        (pd.DataFrame({"a": [1.0], "kind": ["x"]}), "b", None, "missing column"),
        # a column the contract does not know
        (
            pd.DataFrame({"a": [1], "b": [2], "kind": ["x"], "c": [3]}),
            "c",
            None,
            "unexpected column",
        ),
        # text in a numeric column, third data row = file line 4
        (
            pd.DataFrame({"a": ["1", "2", "hot"], "b": [1, 2, 3], "kind": ["x"] * 3}),
            "a",
            4,
            "finite number",
        ),
        # a missing value
        (
            pd.DataFrame({"a": [1.0, None], "b": [1, 2], "kind": ["x", "y"]}),
            "a",
            3,
            "finite number",
        ),
        # an unknown category
        (pd.DataFrame({"a": [1.0], "b": [1.0], "kind": ["z"]}), "kind", 2, "one of"),
    ],
    ids=["missing", "extra", "text", "nan", "category"],
)
def test_bad_requests_name_column_and_line(
    toy_pilot: DomainPipeline,
    frame: pd.DataFrame,
    field: str,
    line: int | None,
    message: str,
) -> None:
    """Bad request rows raise a ContractViolation naming column and file line."""
    with pytest.raises(ContractViolation, match=message) as caught:
        validate_inputs(frame, toy_pilot.contract, source="req.csv", first_line=2)
    assert caught.value.field == field
    assert caught.value.line == line
    assert caught.value.source == "req.csv"


def test_valid_requests_are_typed_and_ignored_columns_dropped(
    toy_pilot: DomainPipeline,
) -> None:
    """Numbers given as text become floats; ids and labels are dropped."""
    frame = pd.DataFrame(
        {"id": [1], "a": ["1.5"], "b": [2], "kind": ["y"], "label": [0]}
    )
    checked = validate_inputs(frame, toy_pilot.contract)
    assert list(checked.columns) == ["a", "b", "kind"]
    assert checked["a"].tolist() == [1.5]


def test_empty_request_is_refused(toy_pilot: DomainPipeline) -> None:
    """A request without rows is refused rather than answered with nothing."""
    empty = pd.DataFrame({"a": [], "b": [], "kind": []})
    with pytest.raises(ContractViolation, match="no rows"):
        validate_inputs(empty, toy_pilot.contract)
