"""Pilot tracker: pilots, iterations, progress and reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiwerk.core.pilots import PilotTracker, tracker_html, tracker_pdf
from kiwerk.errors import Conflict, NotFound


@pytest.fixture
def tracker(tmp_path: Path) -> PilotTracker:
    """A tracker on a fresh SQLite file."""
    return PilotTracker(f"sqlite:///{tmp_path / 'kiwerk.db'}")


def _create(tracker: PilotTracker, **overrides: object) -> None:
    args: dict[str, object] = {
        "organisation": "acme",
        "use_case": "predictive-maintenance-rul",
        "kpi": "unplanned downtime",
        "unit": "h/month",
        "direction": "lower",
        "baseline": 40.0,
        "goal": 30.0,
        "actor": "ana",
    }
    args.update(overrides)
    tracker.create("line-3", **args)  # type: ignore[arg-type]


def test_iterations_are_numbered_and_persist(
    tracker: PilotTracker, tmp_path: Path
) -> None:
    """Iterations get consecutive numbers and survive reopening the store."""
    _create(tracker)
    tracker.record(
        "line-3", kpi_value=36.0, models=["rul:1"], datasets=["cmapss:1"], actor="ana"
    )
    tracker.record(
        "line-3", kpi_value=29.5, models=["rul:2"], datasets=["cmapss:2"], actor="ben"
    )
    reopened = PilotTracker(f"sqlite:///{tmp_path / 'kiwerk.db'}")
    rec = reopened.get("line-3")
    assert [it.number for it in rec.iterations] == [1, 2]
    assert rec.iterations[1].models == ("rul:2",)
    assert rec.iterations[1].recorded_by == "ben"
    assert rec.goal_reached


@pytest.mark.parametrize(
    ("direction", "baseline", "goal", "value", "progress", "reached"),
    [
        ("lower", 40.0, 30.0, 35.0, 0.5, False),  # downtime halfway down
        ("lower", 40.0, 30.0, 45.0, -0.5, False),  # got worse
        ("higher", 0.6, 0.8, 0.8, 1.0, True),  # share caught reaches goal
    ],
)
def test_progress_towards_goal(
    tracker: PilotTracker,
    direction: str,
    baseline: float,
    goal: float,
    value: float,
    progress: float,
    reached: bool,
) -> None:
    """Progress is the share of the way from baseline to goal, in either direction."""
    _create(tracker, direction=direction, baseline=baseline, goal=goal)
    tracker.record("line-3", kpi_value=value, models=[], datasets=[], actor="ana")
    rec = tracker.get("line-3")
    assert rec.progress(value) == pytest.approx(progress)
    assert rec.goal_reached is reached


def test_goal_must_improve_on_baseline(tracker: PilotTracker) -> None:
    """A goal that is no improvement is refused."""
    with pytest.raises(ValueError, match="goal below"):
        _create(tracker, goal=50.0)


def test_duplicates_and_unknown_pilots(tracker: PilotTracker) -> None:
    """Creating twice conflicts; recording for an unknown pilot is NotFound."""
    _create(tracker)
    with pytest.raises(Conflict):
        _create(tracker)
    with pytest.raises(NotFound, match="nope"):
        tracker.record("nope", kpi_value=1.0, models=[], datasets=[], actor="ana")
    assert tracker.list() == ["line-3"]
    assert tracker.list("other") == []


def test_reports(tracker: PilotTracker, tmp_path: Path) -> None:
    """The PDF is a one-page PDF; the HTML carries the chart and each iteration."""
    _create(tracker)
    tracker.record(
        "line-3", kpi_value=33.0, models=["rul:1"], datasets=["cmapss:1"], actor="ana"
    )
    rec = tracker.get("line-3")
    pdf = tmp_path / "report.pdf"
    tracker_pdf(rec, pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") <= 1
    page = tracker_html(rec)
    assert "data:image/png;base64," in page
    assert "Iteration 1" in page
