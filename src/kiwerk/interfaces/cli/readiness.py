"""``kiwerk readiness``: the readiness check of the playbook."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.prompt import IntPrompt
from rich.table import Table

from kiwerk.core.pilots import ReadinessReport, ReadinessRules, assess, load_rules
from kiwerk.core.pilots import to_html as report_html
from kiwerk.core.pilots import to_pdf as report_pdf
from kiwerk.errors import DataFormatError

app = typer.Typer(help="Readiness check: maturity profile, use cases, roadmap.")
console = Console()


@app.command("questions")
def questions() -> None:
    """List the questionnaire with its options."""
    rules = load_rules()
    for q in rules.questions:
        console.print(f"[bold]{q.id}[/] ({rules.dimensions[q.dimension]}): {q.text}")
        for i, option in enumerate(q.options):
            console.print(f"   {i}: {option.label}")


@app.command("check")
def check(
    answers: Annotated[
        Path | None,
        typer.Option(help="TOML or JSON file: question id = option index or label."),
    ] = None,
    sector: Annotated[
        list[str] | None, typer.Option(help="Rank use cases of these sectors only.")
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Write the report as HTML.")] = None,
    pdf: Annotated[
        Path | None, typer.Option(help="Write a one-page PDF report.")
    ] = None,
    title: str = "kiwerk readiness check",
) -> None:
    """Score the questionnaire (from a file, or asked interactively)."""
    rules = load_rules()
    given = _read_answers(answers) if answers else _ask(rules)
    report = assess(given, rules, sectors=sector)
    _show(report, rules)
    if html:
        html.write_text(report_html(report, rules, title=title), encoding="utf-8")
        console.print(f"HTML report: {html}")
    if pdf:
        report_pdf(report, rules, pdf, title=title)
        console.print(f"PDF report: {pdf}")


def _read_answers(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFormatError(f"cannot read answers: {exc}", source=str(path)) from exc
    try:
        doc = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DataFormatError(
            f"not valid {path.suffix[1:]}: {exc}", source=str(path)
        ) from exc
    doc = doc.get("answers", doc)
    if not isinstance(doc, dict):
        raise DataFormatError(
            "expected a table of question id = answer", source=str(path)
        )
    return doc


def _ask(rules: ReadinessRules) -> dict[str, Any]:
    given: dict[str, Any] = {}
    for q in rules.questions:
        console.print(f"\n[bold]{rules.dimensions[q.dimension]}[/]: {q.text}")
        for i, option in enumerate(q.options):
            console.print(f"  {i}: {option.label}")
        choices = [str(i) for i in range(len(q.options))]
        given[q.id] = IntPrompt.ask("answer", choices=choices, console=console)
    return given


def _show(report: ReadinessReport, rules: ReadinessRules) -> None:
    table = Table(title="Maturity profile")
    table.add_column("Dimension")
    table.add_column("Score", justify="right")
    table.add_column("Level")
    for dim, score in report.scores.items():
        style = "red" if dim in report.gaps else ""
        table.add_row(
            rules.dimensions[dim], f"{score:.0f}", report.levels[dim], style=style
        )
    console.print(table)
    if report.blockers:
        console.print("[bold red]Blocks a pilot:[/]")
        for q in report.blockers:
            console.print(f"  - {q.action}")
    else:
        console.print("[green]Nothing blocks a pilot.[/]")
    ranked = Table(title="Candidate use cases")
    for col in ("#", "Use case", "Sector", "Fit", "Below requirement"):
        ranked.add_column(col)
    for i, r in enumerate(report.ranking, start=1):
        missing = ", ".join(f"{d} {h:.0f}/{n:.0f}" for d, (h, n) in r.missing.items())
        ranked.add_row(
            str(i), r.use_case.title, r.use_case.sector, f"{r.fit:.0%}", missing
        )
    console.print(ranked)
    for phase, steps in report.roadmap:
        console.print(f"[bold]{phase}[/]")
        for step in steps:
            console.print(f"  - {step}")
