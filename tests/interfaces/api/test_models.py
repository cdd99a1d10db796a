"""Models over HTTP: tenancy, training job, predict, batch, explain, promote,
prediction log and live monitoring (on the AI4I failure pilot, trained once)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

INPUTS = [
    "Type",
    "Air temperature [K]",
    "Process temperature [K]",
    "Rotational speed [rpm]",
    "Torque [Nm]",
    "Tool wear [min]",
]
URL = "/models/industry-failure"


@pytest.fixture(scope="module")
def ai4i(data_dir: Path) -> pd.DataFrame:
    """600 request rows of AI4I 2020 (its input columns only)."""
    frame = pd.read_csv(data_dir / "ai4i2020" / "ai4i2020.csv", nrows=600)
    return frame[INPUTS]


def test_models_belong_to_the_pilot_org(trained: Any) -> None:
    """industry's members see the model and its job; other orgs get 404."""
    listed = trained.client.get("/models", headers=trained.headers["ian"]).json()
    assert {m["org"] for m in listed} == {"industry"}
    failure = next(m for m in listed if m["name"] == "industry-failure")
    assert failure["versions"][0]["aliases"] == ["candidate"]
    assert "f1" in failure["versions"][0]["metrics"]
    assert trained.client.get("/models", headers=trained.headers["ada"]).json() == []
    for user in ("ada", "bob"):
        for method, path in (
            ("GET", URL),
            ("POST", f"{URL}/predict"),
            ("GET", f"{URL}/monitoring"),
            ("GET", f"/jobs/{trained.headers['job']['id']}"),
        ):
            r = trained.client.request(
                method, path, headers=trained.headers[user], json={"input": {}}
            )
            assert r.status_code == 404, (user, path)
    job = trained.client.get(
        f"/jobs/{trained.headers['job']['id']}", headers=trained.headers["ida"]
    ).json()
    assert (job["status"], job["progress"], job["result"]["version"]) == (
        "succeeded",
        1.0,
        1,
    )


def test_predict_batch_and_explain(trained: Any, ai4i: pd.DataFrame) -> None:
    """Single, batch (rows and columns) and explain agree on the same rows."""
    ian = trained.headers["ian"]
    rows = ai4i.head(5).to_dict(orient="records")
    one = trained.client.post(f"{URL}/predict", headers=ian, json={"input": rows[0]})
    assert one.status_code == 200, one.text
    assert one.json()["version"] == 1
    batch = trained.client.post(
        f"{URL}/predict/batch", headers=ian, json={"rows": rows}
    ).json()
    columns = trained.client.post(
        f"{URL}/predict/batch",
        headers=ian,
        json={"columns": ai4i.head(5).to_dict(orient="list")},
    ).json()
    assert batch["rows"] == 5
    assert batch["predictions"] == columns["predictions"]
    first = {k: v[0] for k, v in batch["predictions"].items()}
    assert first == one.json()["prediction"]
    explained = trained.client.post(
        f"{URL}/explain", headers=ian, json={"rows": rows[:2], "top": 3}
    ).json()
    assert len(explained["rows"]) == 2
    assert len(explained["rows"][0]["contributions"]) == 3
    assert explained["rows"][0]["prediction"] == first


def test_bad_request_rows_name_the_column(trained: Any, ai4i: pd.DataFrame) -> None:
    """A missing or non-numeric input column is 422 naming the column."""
    ian = trained.headers["ian"]
    row = ai4i.head(1).to_dict(orient="records")[0]
    missing = {k: v for k, v in row.items() if k != "Torque [Nm]"}
    r = trained.client.post(f"{URL}/predict", headers=ian, json={"input": missing})
    assert r.status_code == 422
    assert "Torque" in r.json()["detail"]
    r = trained.client.post(
        f"{URL}/predict", headers=ian, json={"input": {**row, "Torque [Nm]": "lots"}}
    )
    assert r.status_code == 422
    r = trained.client.post(f"{URL}/predict/batch", headers=ian, json={})
    assert r.status_code == 422


def test_promotion_is_for_owners_and_follows_the_rule(trained: Any) -> None:
    """Analysts get 403; an owner's promotion follows the pilot's metric rule."""
    body = {"version": 1}
    r = trained.client.post(f"{URL}/promote", headers=trained.headers["ian"], json=body)
    assert r.status_code == 403
    f1 = trained.client.get(URL, headers=trained.headers["ida"]).json()["versions"][0]
    r = trained.client.post(f"{URL}/promote", headers=trained.headers["ida"], json=body)
    if f1["metrics"]["f1"] >= 0.85:
        assert r.status_code == 200, r.text
        assert "production" in r.json()["aliases"]
    else:
        assert r.status_code == 422
    actions = [e.action for e in trained.services.pool.audit.entries(limit=1)]
    assert actions[0] in ("model.promote", "model.promote.refused")


def test_predictions_are_logged_hashed_and_monitored(
    trained: Any, ai4i: pd.DataFrame
) -> None:
    """Logged predictions keep a hash, never inputs; shifted data raises alerts."""
    ian = trained.headers["ian"]
    reference = ai4i.head(300).to_dict(orient="list")
    r = trained.client.post(
        f"{URL}/predict/batch", headers=ian, json={"columns": reference}
    )
    assert r.status_code == 200, r.text
    shifted = ai4i.head(200).copy()
    shifted["Torque [Nm]"] = shifted["Torque [Nm]"] + 25.0
    trained.client.post(
        f"{URL}/predict/batch",
        headers=ian,
        json={"columns": shifted.to_dict(orient="list")},
    )
    series = trained.client.get(f"{URL}/monitoring", headers=ian).json()
    assert series["state"]["reference_ready"] is True
    windows = series["windows"]
    assert len(windows) == 3  # 100 after the reference, then 200 shifted
    assert "Torque [Nm]" not in windows[0]["alerts"]
    assert "Torque [Nm]" in windows[-1]["alerts"]
    assert windows[-1]["columns"]["Torque [Nm]"]["psi"] > 0.2
    assert windows[-1]["columns"]["Torque [Nm]"]["wasserstein"] > 0
    drift = [a for a in series["alerts"] if a["source"] == "drift"]
    assert [a["name"] for a in drift].count("Torque [Nm]") == 1  # once, not per window
    logged = series["logged_predictions"]
    assert len(logged) == 20
    assert all(len(e["input_hash"]) == 16 for e in logged)
    assert "Torque" not in str(logged)


def test_model_card_is_generated_from_registry_and_pool(trained: Any) -> None:
    """The card names the data version, its quality, metrics and oversight."""
    from kiwerk.core.docs import build_card

    models = trained.services.models
    record = models.registry.resolve("industry-failure", None)
    ref = record.datasets[0]
    quality = trained.services.pool.quality(ref.name, ref.version, actor="ida")
    card = build_card(
        models.pilot("industry-failure"),
        record,
        quality={ref.name: quality.to_dict()},
        monitor=models.monitor_params,
    )
    text = card.to_markdown()
    for heading in ("Intended use", "Data", "Human oversight", "Monitoring plan"):
        assert f"## {heading}" in text
    assert ref.content_hash in text
    assert f"f1: {record.metrics['f1']:.4g}" in text
    assert "<h2>Known limits</h2>" in card.to_html()


def test_labels_give_performance_windows_and_alerts(
    trained: Any, data_dir: Path
) -> None:
    """Ground truth posted by prediction id (remembered or from the log) gives
    metric windows; wrong labels raise one accuracy alert; unknown ids count."""
    ian = trained.headers["ian"]
    rows = pd.read_csv(data_dir / "ai4i2020" / "ai4i2020.csv", nrows=300)
    truth = rows["Machine failure"].astype(int).tolist()
    ids, decisions = [], []
    for start in (0, 100, 200):  # the first request is forgotten (150 rows kept)
        part = rows.iloc[start : start + 100][INPUTS]
        r = trained.client.post(
            f"{URL}/predict/batch",
            headers=ian,
            json={"columns": part.to_dict(orient="list")},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        ids += [f"{body['request_id']}-{i}" for i in range(100)]
        decisions += body["predictions"]["failure"]
    labels = [{"prediction_id": p, "label": y} for p, y in zip(ids, truth, strict=True)]
    labels.append({"prediction_id": "0123456789abcdef0123-5", "label": 1})
    r = trained.client.post(f"{URL}/labels", headers=ian, json={"labels": labels[:150]})
    assert r.status_code == 200, r.text
    assert r.json()["matched"] == 150  # 100 of them found in the prediction log
    wrong = [
        {**item, "label": 1 - d}
        for item, d in zip(labels[150:300], decisions[150:], strict=True)
    ]
    r = trained.client.post(
        f"{URL}/labels", headers=ian, json={"labels": [*wrong, labels[-1]]}
    )
    assert (r.json()["received"], r.json()["matched"]) == (151, 150)
    series = trained.client.get(f"{URL}/monitoring", headers=ian).json()
    windows = series["performance"]
    assert len(windows) == 6
    expected = sum(d == y for d, y in zip(decisions[:50], truth[:50], strict=True)) / 50
    assert windows[0]["metrics"]["accuracy"] == pytest.approx(expected)
    assert [w["metrics"]["accuracy"] for w in windows[3:]] == [0.0, 0.0, 0.0]
    assert series["performance_state"]["unmatched_labels"] == 1
    alerts = [a for a in series["alerts"] if a["source"] == "performance"]
    # three bad windows, each alert delivered once (de-duplicated)
    assert sorted(a["name"] for a in alerts) == ["accuracy", "f1"]
    r = trained.client.post(
        f"{URL}/labels", headers=trained.headers["ida"], json={"labels": labels[:1]}
    )
    assert r.status_code == 200  # owners may post too
    r = trained.client.post(
        f"{URL}/labels", headers=trained.headers["bob"], json={"labels": labels[:1]}
    )
    assert r.status_code == 404
