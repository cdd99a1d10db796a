"""One-page steering-committee report of a tracked pilot (PDF, PNG or HTML)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING

from kiwerk.core.pilots._tracker import PilotRecord

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def kpi_figure(record: PilotRecord) -> Figure:
    """The KPI per iteration against baseline and goal, as a matplotlib figure."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.add_subplot()
    xs = [0] + [it.number for it in record.iterations]
    ys = [record.baseline] + [it.kpi_value for it in record.iterations]
    ax.plot(xs, ys, marker="o", color="#1f77b4", label=f"measured {record.kpi}")
    ax.axhline(record.baseline, color="#888", linestyle=":", label="baseline")
    ax.axhline(record.goal, color="#2ca02c", linestyle="--", label="goal")
    ax.set_xlabel("iteration (0 = baseline)")
    ax.set_ylabel(f"{record.kpi} [{record.unit}]")
    ax.set_xticks(xs)
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _summary_lines(record: PilotRecord) -> list[str]:
    lines = [
        f"Use case: {record.use_case} — organisation {record.organisation}",
        f"Goal KPI: {record.kpi} ({record.direction} is better): baseline "
        f"{record.baseline:g} {record.unit}, goal {record.goal:g} {record.unit}",
    ]
    if record.iterations:
        last = record.iterations[-1]
        lines.append(
            f"Latest (iteration {last.number}): {last.kpi_value:g} {record.unit}, "
            f"{record.progress(last.kpi_value):.0%} of the way to the goal — "
            + ("goal reached." if record.goal_reached else "goal not yet reached.")
        )
    else:
        lines.append("No iteration recorded yet.")
    for it in record.iterations:
        lines.append(
            f"Iteration {it.number} ({it.recorded_at:%Y-%m-%d}, {it.recorded_by}): "
            f"{it.kpi_value:g} {record.unit}; models {', '.join(it.models) or '-'}; "
            f"data {', '.join(it.datasets) or '-'}"
            + (f"; {it.note}" if it.note else "")
        )
    return lines


def to_pdf(record: PilotRecord, path: Path) -> None:
    """Write the one-page PDF report for a steering committee."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    page = Figure(figsize=(8.27, 11.69))
    page.suptitle(f"Pilot report: {record.name}", fontsize=15, y=0.96)
    chart = kpi_figure(record)
    buf = io.BytesIO()
    chart.savefig(buf, format="png", dpi=150)
    buf.seek(0)
    import matplotlib.image as mpimg

    ax = page.add_axes((0.06, 0.55, 0.88, 0.36))
    ax.imshow(mpimg.imread(buf, format="png"))
    ax.axis("off")
    text = "\n".join(
        "\n".join(textwrap.wrap(line, 105, subsequent_indent="    "))
        for line in _summary_lines(record)
    )
    page.text(0.06, 0.52, text, va="top", fontsize=8.5)
    page.savefig(path, format="pdf")


def to_html(record: PilotRecord) -> str:
    """The report as a self-contained HTML fragment with the chart inlined."""
    buf = io.BytesIO()
    kpi_figure(record).savefig(buf, format="png", dpi=110)
    img = base64.b64encode(buf.getvalue()).decode("ascii")
    items = "".join(f"<li>{html.escape(line)}</li>" for line in _summary_lines(record))
    return (
        f"<section><h2>Pilot report: {html.escape(record.name)}</h2>"
        f'<img alt="{html.escape(record.kpi)} per iteration against the goal" '
        f'src="data:image/png;base64,{img}"><ul>{items}</ul></section>'
    )
