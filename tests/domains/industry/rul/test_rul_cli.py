"""``kiwerk train|evaluate industry-rul --subset``: one registered model per subset."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kiwerk.core.models import ModelRegistry
from kiwerk.domains.industry.rul import pilot_name, rul_pilot, rul_pilots
from kiwerk.errors import NotFound
from kiwerk.interfaces.cli.app import main
from kiwerk.interfaces.cli.pilots import pilot_catalog, resolve_pilot
from kiwerk.settings import get_settings

Run = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize(
    ("name", "subset", "expected"),
    [
        ("industry-rul", None, "industry-rul"),  # no subset: the pilot itself
        ("industry-rul", "FD001", "industry-rul"),  # the default subset
        ("industry-rul", "fd003", "industry-rul-fd003"),  # case does not matter
        ("industry-rul-fd004", "FD004", "industry-rul-fd004"),  # already the member
    ],
)
def test_subset_selects_the_family_member(
    name: str, subset: str | None, expected: str
) -> None:
    """``--subset`` maps a pilot family and a subset tag to one pilot."""
    pilot = resolve_pilot(name, subset)
    assert pilot.name == expected
    assert pilot.tags["subset"] == (subset or "FD001").upper()


def test_every_subset_is_its_own_catalog_pilot() -> None:
    """All four C-MAPSS subsets are listed, each under its own model name."""
    subsets = [p.tags["subset"] for p in rul_pilots()]
    assert subsets == ["FD001", "FD002", "FD003", "FD004"]
    names = {pilot_name(s) for s in subsets}
    assert len(names) == 4
    assert names <= set(pilot_catalog().names())


@pytest.mark.parametrize(
    ("name", "subset"),
    [
        ("industry-rul", "FD005"),  # no such subset
        ("industry-failure", "FD001"),  # a pilot without subsets
    ],
)
def test_unknown_subset_is_not_found(name: str, subset: str) -> None:
    """A subset the family lacks raises NotFound naming the subsets it has."""
    with pytest.raises(NotFound, match="subsets: "):
        resolve_pilot(name, subset)


def test_rul_pilot_refuses_an_unknown_subset() -> None:
    """``rul_pilot`` names the subsets it knows."""
    with pytest.raises(ValueError, match="FD001"):
        rul_pilot("FD009")


@pytest.fixture
def kiwerk(
    cli_env: Path,
    mlflow_db_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    """Run ``kiwerk ARGS`` on a fresh home; give (exit code, stdout, stderr)."""
    cli_env.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mlflow_db_template, cli_env / "mlflow.db")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("KIWERK_USER", "admin")

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["kiwerk", *args])
        get_settings.cache_clear()
        with pytest.raises(SystemExit) as exit_info:
            main()
        get_settings.cache_clear()
        out = capsys.readouterr()
        code = exit_info.value.code
        return (code if isinstance(code, int) else 1), out.out, out.err

    return run


def test_cli_refuses_an_unknown_subset(kiwerk: Run) -> None:
    """``kiwerk train industry-rul --subset FD007`` exits non-zero, naming subsets."""
    code, _, err = kiwerk("train", "industry-rul", "--subset", "FD007")
    assert code != 0
    assert "FD002" in err


@pytest.mark.slow
def test_train_and_evaluate_a_subset_through_the_cli(
    kiwerk: Run, cli_env: Path
) -> None:
    """A quick FD003 run registers ``industry-rul-fd003`` tagged with its subset."""
    code, out, err = kiwerk(
        "train", "industry-rul", "--subset", "FD003", "--quick", "--folds", "2"
    )
    assert code == 0, err
    assert "registered industry-rul-fd003 version 1" in out
    registry = ModelRegistry(f"sqlite:///{cli_env / 'mlflow.db'}")
    record = registry.record("industry-rul-fd003", 1)
    assert record.tags["param.subset"] == "FD003"
    assert {d.name for d in record.datasets} == {
        "cmapss-fd003-train",
        "cmapss-fd003-test",
        "cmapss-fd003-rul",
    }
    assert record.metrics["rmse"] > 0
    code, out, err = kiwerk("evaluate", "industry-rul", "--subset", "FD003")
    assert code == 0, err
    assert "reproduced: yes" in out
