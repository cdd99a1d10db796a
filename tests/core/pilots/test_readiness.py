"""Readiness check: the rules file is coherent and applied as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiwerk.core.pilots import ReadinessRules, assess, load_rules, to_html, to_pdf
from kiwerk.errors import DataFormatError


@pytest.fixture(scope="module")
def rules() -> ReadinessRules:
    """The rules shipped with kiwerk."""
    return load_rules()


def _all(rules: ReadinessRules, index: int) -> dict[str, int | str]:
    return {q.id: min(index, len(q.options) - 1) for q in rules.questions}


def test_rules_are_coherent(rules: ReadinessRules) -> None:
    """Dimensions have questions, scores lie in range, use cases name dimensions."""
    assert set(rules.dimensions) == {
        "data",
        "infrastructure",
        "skills",
        "organisation",
        "governance",
        "privacy",
    }
    for dim in rules.dimensions:
        assert any(q.dimension == dim for q in rules.questions), dim
    for q in rules.questions:
        scores = [o.score for o in q.options]
        assert scores == sorted(scores), q.id
        assert min(scores) >= 0, q.id
        assert max(scores) <= rules.max_option_score, q.id
    for u in rules.use_cases:
        assert set(u.requires) <= set(rules.dimensions), u.id
    assert len({q.id for q in rules.questions}) == len(rules.questions)


@pytest.mark.parametrize(
    ("index", "expected_score", "expected_level"),
    [
        (0, 0.0, "initial"),  # every answer the lowest option
        (1, 100 / 3, "repeatable"),  # every answer worth 1 of 3
        (2, 200 / 3, "defined"),  # every answer worth 2 of 3
        (3, 100.0, "optimising"),  # every answer the best option
    ],
)
def test_uniform_answers_score_as_documented(
    rules: ReadinessRules, index: int, expected_score: float, expected_level: str
) -> None:
    """A dimension's score is the mean option score as a share of the maximum."""
    report = assess(_all(rules, index), rules)
    for dim in rules.dimensions:
        assert report.scores[dim] == pytest.approx(expected_score, abs=0.05)
        assert report.levels[dim] == expected_level


def test_blockers_hold_back_a_pilot_and_lead_the_roadmap(rules: ReadinessRules) -> None:
    """A blocker question answered too low blocks; its action is the first step."""
    answers = _all(rules, 3)
    answers["privacy.personal"] = "No"
    report = assess(answers, rules)
    assert not report.ready
    assert [q.id for q in report.blockers] == ["privacy.personal"]
    phase, steps = report.roadmap[0]
    assert phase == "Close what blocks a pilot"
    assert steps == (rules.question("privacy.personal").action,)


def test_unanswered_questions_count_as_zero_and_are_listed(
    rules: ReadinessRules,
) -> None:
    """Leaving a question out scores it 0 and names it as open."""
    answers = _all(rules, 3)
    del answers["skills.data"]
    report = assess(answers, rules)
    assert "skills.data" in report.open_questions
    assert report.scores["skills"] == pytest.approx(50.0)


def test_ranking_prefers_use_cases_the_profile_meets(rules: ReadinessRules) -> None:
    """Weak privacy pushes health use cases below industry ones, with the gap named."""
    answers = _all(rules, 2)
    for qid in ("privacy.dpo", "privacy.sharing"):
        answers[qid] = 0
    report = assess(answers, rules)
    top = report.ranking[0]
    assert top.fit == 1.0
    assert top.use_case.sector != "health"
    xray = next(r for r in report.ranking if r.use_case.id == "xray-triage")
    assert xray.fit < 1.0
    assert "privacy" in xray.missing


def test_sector_filter(rules: ReadinessRules) -> None:
    """Only use cases of the asked sectors are ranked."""
    report = assess(_all(rules, 2), rules, sectors=["mobility"])
    assert {r.use_case.sector for r in report.ranking} == {"mobility"}


@pytest.mark.parametrize(
    ("answers", "match"),
    [
        ({"no.such.question": 1}, "unknown question"),  # typo in a question id
        ({"data.recorded": 9}, "not one of"),  # index out of range
        ({"data.recorded": "maybe"}, "not one of"),  # label that does not exist
    ],
)
def test_bad_answers_name_the_question(
    rules: ReadinessRules, answers: dict[str, int | str], match: str
) -> None:
    """Bad answers raise a DataFormatError naming the question."""
    with pytest.raises(DataFormatError, match=match) as info:
        assess(answers, rules)
    assert info.value.field == next(iter(answers))


def test_reports_render(rules: ReadinessRules, tmp_path: Path) -> None:
    """HTML holds the radar chart and every use case; the PDF is a real PDF."""
    report = assess(_all(rules, 1), rules)
    page = to_html(report, rules, title="Stadtwerke test")
    assert "<svg" in page
    for r in report.ranking:
        assert r.use_case.title in page
    pdf = tmp_path / "r.pdf"
    to_pdf(report, rules, pdf, title="Stadtwerke test")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_broken_rules_file_is_named(tmp_path: Path) -> None:
    """A rules file missing a section gives an error naming the file."""
    bad = tmp_path / "rules.toml"
    bad.write_text("[scoring]\nmax_option_score = 3\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"rules\.toml"):
        load_rules(bad)
