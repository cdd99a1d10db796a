"""RUL parameters: validation, per-subset defaults, TOML loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiwerk.domains.industry.rul import RulParams


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model": "svm"}, "model"),  # unknown model kind
        ({"window": 1}, "window"),  # no sequence
        ({"smoothing": 0.0}, "smoothing"),  # would freeze the first value
        ({"padding": "zero"}, "padding"),  # unknown padding rule
        ({"folds": 1}, "folds"),  # nothing held out
        ({"dropout": 1.0}, "dropout"),  # drops everything
    ],
)
def test_bad_values_are_refused(changes: dict[str, object], message: str) -> None:
    """Each impossible value raises ValueError naming its field."""
    with pytest.raises(ValueError, match=message):
        RulParams(**changes)  # type: ignore[arg-type]


def test_subset_defaults_and_overrides() -> None:
    """for_subset knows the four subsets and lets a caller override any field."""
    assert RulParams.for_subset("fd004", steps=7).steps == 7
    with pytest.raises(ValueError, match="FD005"):
        RulParams.for_subset("FD005")


def test_from_toml(tmp_path: Path) -> None:
    """A TOML table loads; an unknown key is refused by name."""
    path = tmp_path / "rul.toml"
    path.write_text('model = "gbm"\nwindow = 40\n', encoding="utf-8")
    assert RulParams.from_toml(path) == RulParams(model="gbm", window=40)
    path.write_text("windw = 40\n", encoding="utf-8")
    with pytest.raises(ValueError, match="windw"):
        RulParams.from_toml(path)
