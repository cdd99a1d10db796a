"""SHAP for trees, gradient attribution for torch models, importance plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kiwerk.core.explain import (
    Explanation,
    gradient_attribution,
    gradient_attribution_steps,
    tree_shap,
    write_importance,
)


def test_tree_shap_adds_up_to_the_margin() -> None:
    """Base value plus contributions equals the classifier's raw margin per row."""
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "noise"])
    y = (X["a"] - 0.5 * X["b"] > 0).astype(int)
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    e = tree_shap(model, X.iloc[:50], output="log-odds")
    margin = model.predict(X.iloc[:50], raw_score=True)
    total = e.base_values + e.contributions.sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, margin, atol=1e-6)
    assert e.importance().index[-1] == "noise"


def test_tree_shap_on_a_regressor() -> None:
    """Regression trees are explained in the model's output units."""
    from sklearn.tree import DecisionTreeRegressor

    X = pd.DataFrame({"a": np.arange(20.0), "b": np.ones(20)})
    model = DecisionTreeRegressor(max_depth=2).fit(X, X["a"] * 2)
    e = tree_shap(model, X, output="cycles")
    total = e.base_values + e.contributions.sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, model.predict(X), atol=1e-9)
    assert e.contributions["b"].abs().max() == 0


def test_gradient_attribution_of_a_linear_model_is_weight_times_input() -> None:
    """For a linear model, gradient × input is exactly w·x per feature."""
    import torch

    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 1, bias=False)
    x = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 4.0]])
    e = gradient_attribution(lin, x, feature_names=["p", "q", "r"], output="y")
    weights = lin.weight.detach().numpy()[0]
    np.testing.assert_allclose(e.contributions.to_numpy(), x * weights, rtol=1e-5)
    with torch.no_grad():
        out = lin(torch.tensor(x, dtype=torch.float32)).numpy()[:, 0]
    np.testing.assert_allclose(e.contributions.sum(axis=1), out, rtol=1e-5)


def test_gradient_attribution_keeps_steps_of_a_sequence() -> None:
    """Sequence inputs give per-step attributions; only recent steps matter here."""
    import torch

    class LastStep(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return 3 * x[:, -1, :].sum(dim=1)

    x = np.ones((2, 4, 2))
    steps = gradient_attribution_steps(LastStep(), x)
    assert steps.shape == (2, 4, 2)
    assert np.all(steps[:, :-1, :] == 0)
    assert np.all(steps[:, -1, :] == 3)
    table = gradient_attribution(LastStep(), x, feature_names=["s1", "s2"], output="y")
    assert table.contributions.shape == (2, 2)
    with pytest.raises(ValueError, match="feature names"):
        gradient_attribution(LastStep(), x, feature_names=["s1"], output="y")


def test_importance_files_are_written(tmp_path: Path) -> None:
    """The PNG is a real image and the HTML embeds it and lists every feature."""
    png, page = write_importance(
        pd.Series({"torque": 0.5, "speed": 0.2}), tmp_path / "out", title="t"
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = page.read_text(encoding="utf-8")
    assert "data:image/png;base64," in text
    assert text.index("torque") < text.index("speed")


def test_explanation_summary_and_checks() -> None:
    """Summaries hold the top features; mismatched lengths are refused."""
    c = pd.DataFrame({"a": [1.0, -2.0], "b": [0.1, 0.1]})
    e = Explanation(c, np.array([0.5, 0.5]), "score", labels=("x", "y"))
    assert e.summary(k=1) == {
        "output": "score",
        "base_value": 0.5,
        "rows": 2,
        "importance": {"a": 1.5},
    }
    assert e.top(1, 2) == [("a", -2.0), ("b", 0.1)]
    with pytest.raises(ValueError, match="base values"):
        Explanation(c, np.zeros(3), "score")
    with pytest.raises(ValueError, match="labels"):
        Explanation(c, np.zeros(2), "score", labels=("x",))
