"""``/readiness``: the questionnaire, the scored profile and its reports."""

from __future__ import annotations

from typing import Any

import pytest

from kiwerk.core.pilots import assess, load_rules
from tests.interfaces.api.conftest import World


def _best(questionnaire: dict[str, Any]) -> dict[str, int]:
    return {q["id"]: len(q["options"]) - 1 for q in questionnaire["questions"]}


def test_questionnaire_lists_the_rules(api: World) -> None:
    """GET /readiness lists every question of readiness.toml with its options."""
    r = api.client.get("/readiness", headers=api.headers["vic"])
    assert r.status_code == 200, r.text
    body = r.json()
    rules = load_rules()
    assert [q["id"] for q in body["questions"]] == [q.id for q in rules.questions]
    assert body["dimensions"] == dict(rules.dimensions)
    assert set(body["sectors"]) == {u.sector for u in rules.use_cases}


def test_check_scores_like_the_core(api: World) -> None:
    """POST /readiness returns the core's scores, blockers and ranking."""
    rules = load_rules()
    answers: dict[str, int | str] = {q.id: 0 for q in rules.questions}
    answers[rules.questions[0].id] = rules.questions[0].options[-1].label
    expected = assess(answers, rules)
    r = api.client.post(
        "/readiness", headers=api.headers["vic"], json={"answers": answers}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scores"] == dict(expected.scores)
    assert body["ready"] is False
    assert [b["id"] for b in body["blockers"]] == [q.id for q in expected.blockers]
    ranked = [u.use_case.id for u in expected.ranking]
    assert [u["id"] for u in body["ranking"]] == ranked
    assert [p["phase"] for p in body["roadmap"]][-1] == "Iterate"


def test_check_best_answers_is_ready(api: World) -> None:
    """The best answer everywhere: no blockers, no gaps, no open questions."""
    q = api.client.get("/readiness", headers=api.headers["vic"]).json()
    r = api.client.post(
        "/readiness", headers=api.headers["vic"], json={"answers": _best(q)}
    )
    body = r.json()
    assert (body["ready"], body["gaps"], body["open_questions"]) == (True, [], [])
    assert set(body["scores"].values()) == {100.0}


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"no.such.question": 0}, "no.such.question"),  # unknown question
        ({"data.recorded": 99}, "data.recorded"),  # option index out of range
        ({"data.recorded": "perhaps"}, "data.recorded"),  # no such label
    ],
)
def test_check_names_the_bad_answer(
    api: World, answers: dict[str, Any], field: str
) -> None:
    """A bad answer is a 422 problem naming the question."""
    r = api.client.post(
        "/readiness", headers=api.headers["vic"], json={"answers": answers}
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field


def test_report_as_pdf_and_html(api: World) -> None:
    """The report comes back as a PDF and as a self-contained HTML page."""
    q = api.client.get("/readiness", headers=api.headers["ana"]).json()
    body = {"answers": _best(q), "title": "Acme <check>"}
    pdf = api.client.post(
        "/readiness/report?format=pdf", headers=api.headers["ana"], json=body
    )
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    page = api.client.post(
        "/readiness/report?format=html", headers=api.headers["ana"], json=body
    )
    assert page.headers["content-type"].startswith("text/html")
    assert "Acme &lt;check&gt;" in page.text
    assert "<svg" in page.text


def test_readiness_needs_credentials(api: World) -> None:
    """Without credentials the questionnaire is 401."""
    assert api.client.get("/readiness").status_code == 401
