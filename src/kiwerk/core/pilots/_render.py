"""Readiness reports as HTML (with an SVG radar chart) and as a one-page PDF."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path

from kiwerk.core.pilots._readiness import RankedUseCase, ReadinessReport, ReadinessRules


def radar_svg(
    scores: Mapping[str, float], names: Mapping[str, str], size: int = 360
) -> str:
    """A radar chart of dimension scores (0–100) as a standalone SVG element.

    Examples
    --------
    >>> names = {"a": "A", "b": "B", "c": "C"}
    >>> svg = radar_svg({"a": 50.0, "b": 100.0, "c": 0.0}, names)
    >>> svg.startswith("<svg") and "polygon" in svg
    True
    """
    centre, radius = size / 2, size / 2 - 70
    dims = list(scores)

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / len(dims)
        r = radius * value / 100.0
        return centre + r * math.cos(angle), centre + r * math.sin(angle)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="Maturity radar chart">'
    ]
    for ring in (25, 50, 75, 100):
        pts = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(len(dims)))
        )
        parts.append(f'<polygon points="{pts}" fill="none" stroke="#ccc"/>')
    for i, dim in enumerate(dims):
        x, y = point(i, 100)
        lx, ly = point(i, 122)
        parts.append(
            f'<line x1="{centre}" y1="{centre}" x2="{x:.1f}" y2="{y:.1f}" '
            'stroke="#ccc"/>'
        )
        label = html.escape(f"{names.get(dim, dim)} {scores[dim]:.0f}")
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="12" text-anchor="middle" '
            f'font-family="sans-serif">{label}</text>'
        )
    pts = " ".join(
        f"{x:.1f},{y:.1f}" for x, y in (point(i, scores[d]) for i, d in enumerate(dims))
    )
    parts.append(
        f'<polygon points="{pts}" fill="#1f77b4" fill-opacity="0.35" stroke="#1f77b4"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def to_html(report: ReadinessReport, rules: ReadinessRules, *, title: str) -> str:
    """The full report as a self-contained HTML page (no external assets)."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(rules.dimensions[d])}</td><td>{s:.0f}</td>"
        f"<td>{esc(report.levels[d])}</td></tr>"
        for d, s in report.scores.items()
    )
    blockers = (
        "".join(
            f"<li><b>{esc(q.text)}</b> — {esc(q.action)}</li>" for q in report.blockers
        )
        or "<li>None: a pilot can start.</li>"
    )
    cases = "".join(
        f"<tr><td>{i}</td><td>{esc(r.use_case.title)}</td>"
        f"<td>{esc(r.use_case.sector)}</td><td>{r.fit:.0%}</td>"
        f"<td>{esc('; '.join(r.use_case.data))}</td><td>{esc(_missing(r))}</td></tr>"
        for i, r in enumerate(report.ranking, start=1)
    )
    roadmap = "".join(
        f"<li><b>{esc(phase)}</b><ul>{''.join(f'<li>{esc(s)}</li>' for s in steps)}"
        "</ul></li>"
        for phase, steps in report.roadmap
    )
    radar = radar_svg(report.scores, rules.dimensions)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}
td,th{{border:1px solid #ddd;padding:4px 8px;text-align:left}}
</style></head><body>
<h1>{esc(title)}</h1>
<h2>Maturity profile</h2>
{radar}
<table><tr><th>Dimension</th><th>Score (0–100)</th><th>Level</th></tr>{rows}</table>
<h2>What blocks a pilot</h2><ul>{blockers}</ul>
<h2>Candidate use cases</h2>
<table><tr><th>#</th><th>Use case</th><th>Sector</th><th>Fit</th><th>Data it needs</th>
<th>Below requirement</th></tr>{cases}</table>
<h2>Roadmap</h2><ol>{roadmap}</ol>
<p><small>Scores follow kiwerk's published rules (readiness.toml); they are no survey
statistics and promise no funding.</small></p>
</body></html>
"""


def to_pdf(
    report: ReadinessReport, rules: ReadinessRules, path: Path, *, title: str
) -> None:
    """Write a one-page PDF: radar chart, blockers, top use cases, roadmap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dims = list(report.scores)
    fig = plt.figure(figsize=(8.27, 11.69))
    fig.suptitle(title, fontsize=16, y=0.97)
    from matplotlib.projections.polar import PolarAxes

    ax = fig.add_axes((0.25, 0.62, 0.5, 0.3), projection="polar")
    assert isinstance(ax, PolarAxes)
    angles = [2 * math.pi * i / len(dims) for i in range(len(dims))]
    values = [report.scores[d] for d in dims]
    ax.plot([*angles, angles[0]], [*values, values[0]], color="#1f77b4")
    ax.fill([*angles, angles[0]], [*values, values[0]], color="#1f77b4", alpha=0.3)
    ax.set_xticks(
        angles, [f"{rules.dimensions[d]}\n{report.scores[d]:.0f}" for d in dims]
    )
    ax.set_ylim(0, 100)
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    lines = ["What blocks a pilot:"]
    lines += [f"  - {q.action}" for q in report.blockers] or ["  - nothing"]
    lines.append("Top use cases:")
    lines += [
        f"  {i}. {r.use_case.title} (fit {r.fit:.0%})"
        for i, r in enumerate(report.ranking[:3], 1)
    ]
    for phase, steps in report.roadmap:
        lines.append(f"{phase}:")
        lines += [f"  - {s}" for s in steps]
    text = "\n".join(_wrap(line, 100) for line in lines)
    fig.text(0.06, 0.57, text, va="top", fontsize=8, family="sans-serif")
    fig.savefig(path, format="pdf")
    plt.close(fig)


def _missing(ranked: RankedUseCase) -> str:
    return ", ".join(f"{d} {h:.0f}/{n:.0f}" for d, (h, n) in ranked.missing.items())


def _wrap(line: str, width: int) -> str:
    import textwrap

    indent = " " * (len(line) - len(line.lstrip()) + 2)
    return "\n".join(textwrap.wrap(line, width, subsequent_indent=indent)) or line
