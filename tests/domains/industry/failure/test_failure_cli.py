"""End to end through the ``kiwerk`` command on a fresh home (slow: real training)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from kiwerk.core.models import ModelRegistry
from kiwerk.interfaces.cli.app import main
from kiwerk.settings import get_settings

Run = Callable[..., tuple[int, str, str]]

REQUEST_COLUMNS = [
    "Type",
    "Air temperature [K]",
    "Process temperature [K]",
    "Rotational speed [rpm]",
    "Torque [Nm]",
    "Tool wear [min]",
]


@pytest.fixture
def kiwerk(
    cli_env: Path,
    mlflow_db_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    """Run ``kiwerk ARGS`` on the fresh home; give (exit code, stdout, stderr)."""
    cli_env.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mlflow_db_template, cli_env / "mlflow.db")
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str, user: str = "admin") -> tuple[int, str, str]:
        monkeypatch.setenv("KIWERK_USER", user)
        monkeypatch.setattr(sys, "argv", ["kiwerk", *args])
        get_settings.cache_clear()
        with pytest.raises(SystemExit) as exit_info:
            main()
        get_settings.cache_clear()
        out = capsys.readouterr()
        code = exit_info.value.code
        return (code if isinstance(code, int) else 1), out.out, out.err

    return run


@pytest.mark.slow
def test_train_evaluate_explain_promote_through_the_cli(
    kiwerk: Run, cli_env: Path, ai4i: pd.DataFrame, tmp_path: Path
) -> None:
    """The AI4I pilot trains from the pool, reproduces, explains and is promoted."""
    request = tmp_path / "request.csv"
    ai4i.tail(30).to_csv(request, index=False)

    code, _, err = kiwerk("explain", "industry-failure", "--input", str(request))
    assert code == 5
    assert "never trained" in err

    code, out, err = kiwerk("train", "industry-failure", "--folds", "2")
    assert code == 0, err
    assert "ingested ai4i2020 v1" in out
    assert "registered industry-failure version 1" in out
    registry = ModelRegistry(f"sqlite:///{cli_env / 'mlflow.db'}")
    record = registry.record("industry-failure", 1)
    assert record.metrics["f1"] >= 0.88
    assert record.metrics["roc_auc"] >= 0.96
    assert [(d.name, d.version) for d in record.datasets] == [("ai4i2020", 1)]

    code, out, err = kiwerk("evaluate", "industry-failure")
    assert code == 0, err
    assert "reproduced: yes" in out

    code, out, err = kiwerk(
        "explain",
        "industry-failure",
        "--input",
        str(request),
        "--out",
        str(tmp_path / "why"),
    )
    assert code == 0, err
    written = pd.read_csv(tmp_path / "why" / "explanations.csv")
    assert len(written) == 30
    assert "contribution_power_W" in written.columns
    assert (tmp_path / "why" / "importance.png").stat().st_size > 0

    code, _, err = kiwerk("models", "promote", "industry-failure", "1", user="mallory")
    assert code == 4, err
    code, out, err = kiwerk("models", "promote", "industry-failure", "1")
    assert code == 0, err
    code, out, _ = kiwerk("models", "list")
    assert "production" in out
    code, out, _ = kiwerk("models", "show", "industry-failure")
    assert "ai4i2020 v1" in out


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        # text where a number belongs, in the third data row (file line 4)
        (
            lambda f: f.assign(**{"Torque [Nm]": ["40", "41", "high"]}),
            ["line 4", "Torque [Nm]"],
        ),
        # a column the model does not know
        (lambda f: f.assign(vibration=[1, 2, 3]), ["vibration", "unexpected"]),
        # a required column is absent
        (lambda f: f.drop(columns=["Tool wear [min]"]), ["Tool wear [min]", "missing"]),
    ],
    ids=["non-numeric", "extra-column", "missing-column"],
)
def test_bad_request_files_name_column_and_line(
    kiwerk: Run,
    cli_env: Path,
    ai4i: pd.DataFrame,
    tmp_path: Path,
    edit: Callable[[pd.DataFrame], pd.DataFrame],
    named: list[str],
) -> None:
    """A bad request file exits non-zero naming the column (and line)."""
    from kiwerk.core.pipeline import FrameSource, TrainParams, train_pilot
    from kiwerk.domains.industry.failure import failure_pilot

    registry = ModelRegistry(
        f"sqlite:///{cli_env / 'mlflow.db'}", cli_env / "mlartifacts"
    )
    small = ai4i.sample(3000, random_state=0).reset_index(drop=True)
    train_pilot(
        failure_pilot(),
        FrameSource({"ai4i2020": small}),
        registry,
        TrainParams(quick=True),
    )
    request = tmp_path / "bad.csv"
    edit(ai4i.head(3)[REQUEST_COLUMNS].astype(str)).to_csv(request, index=False)
    code, _, err = kiwerk("explain", "industry-failure", "--input", str(request))
    assert code == 3
    flat = " ".join(err.split())
    for part in named:
        assert part in flat


def test_export_and_edge_run_through_the_cli(
    kiwerk: Run, cli_env: Path, ai4i: pd.DataFrame, tmp_path: Path
) -> None:
    """`models export` writes ONNX + spec; `edge run` scores raw rows like serving."""
    from kiwerk.core.pipeline import FrameSource, TrainParams, train_pilot
    from kiwerk.core.serving import ServedModel
    from kiwerk.domains.industry.failure import failure_pilot

    registry = ModelRegistry(
        f"sqlite:///{cli_env / 'mlflow.db'}", cli_env / "mlartifacts"
    )
    small = ai4i.sample(3000, random_state=0).reset_index(drop=True)
    train_pilot(
        failure_pilot(),
        FrameSource({"ai4i2020": small}),
        registry,
        TrainParams(quick=True),
    )
    model = tmp_path / "edge" / "failure.onnx"
    code, out, err = kiwerk(
        "models", "export", "industry-failure", "--format", "onnx", "--out", str(model)
    )
    assert code == 0, err
    assert "feature step: in-graph" in out
    assert (tmp_path / "edge" / "failure.onnx.json").is_file()
    request = tmp_path / "rows.csv"
    rows = ai4i.tail(200)[REQUEST_COLUMNS]
    rows.to_csv(request, index=False)
    scored = tmp_path / "scored.csv"
    code, _, err = kiwerk(
        "edge", "run", str(model), "--input", str(request), "--out", str(scored)
    )
    assert code == 0, err
    edge = pd.read_csv(scored)
    native = ServedModel.load(failure_pilot(), registry).predict(rows)
    assert (
        edge["failure_probability"] - native["failure_probability"].to_numpy()
    ).abs().max() < 1e-5
    code, _, err = kiwerk(
        "models",
        "export",
        "industry-failure",
        "--format",
        "tflite",
        "--out",
        str(model),
    )
    assert code != 0
    assert "onnx" in err
