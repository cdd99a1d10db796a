"""Global importance plots written as PNG and self-contained HTML."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd


def write_importance(
    importance: pd.Series, directory: Path, *, title: str, stem: str = "importance"
) -> tuple[Path, Path]:
    """Write a horizontal bar chart of ``importance`` as ``stem.png`` and ``.html``.

    The HTML embeds the PNG and lists the values in a table, so it opens
    anywhere without other files.

    Parameters
    ----------
    importance
        Feature → importance (e.g. mean absolute SHAP value).
    directory
        Where to write; created when absent.
    title
        The chart's title.
    stem
        File name without suffix.

    Returns
    -------
    tuple[Path, Path]
        The PNG and the HTML file.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> png, page = write_importance(pd.Series({"a": 2.0, "b": 1.0}), d, title="t")
    >>> png.stat().st_size > 0, "<table" in page.read_text()
    (True, True)
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    directory.mkdir(parents=True, exist_ok=True)
    ordered = importance.sort_values(ascending=True, kind="stable")
    figure = Figure(figsize=(7, 0.35 * len(ordered) + 1.2))
    axes = figure.add_subplot()
    axes.barh([str(i) for i in ordered.index], ordered.to_numpy(), color="#2a6f97")
    axes.set_xlabel("mean |contribution|")
    axes.set_title(title)
    figure.tight_layout()
    png = directory / f"{stem}.png"
    figure.savefig(png, dpi=100)
    encoded = base64.b64encode(png.read_bytes()).decode("ascii")
    rows = "".join(
        f"<tr><td>{html.escape(str(n))}</td><td>{v:.4g}</td></tr>"
        for n, v in importance.sort_values(ascending=False).items()
    )
    page = directory / f"{stem}.html"
    page.write_text(
        "<!doctype html><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
        f"<img alt='importance' src='data:image/png;base64,{encoded}'>"
        f"<table><tr><th>feature</th><th>importance</th></tr>{rows}</table>",
        encoding="utf-8",
    )
    return png, page
