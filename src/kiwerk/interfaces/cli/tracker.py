"""``kiwerk tracker``: pilots, their goal KPI and the KPI per iteration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kiwerk.core.pilots import PilotTracker, tracker_html, tracker_pdf
from kiwerk.settings import get_settings

app = typer.Typer(help="Pilot tracker: goal KPI, baseline, iterations, reports.")
console = Console()


def _tracker() -> PilotTracker:
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    return PilotTracker(settings.metadata_url)


@app.command("create")
def create(
    name: str,
    use_case: Annotated[
        str, typer.Option(help="Use case id from the readiness catalogue.")
    ],
    kpi: Annotated[str, typer.Option(help="The goal KPI, e.g. 'unplanned downtime'.")],
    unit: Annotated[str, typer.Option(help="Unit of the KPI, e.g. 'h/month'.")],
    baseline: Annotated[float, typer.Option(help="KPI measured before the pilot.")],
    goal: Annotated[float, typer.Option(help="KPI the pilot aims for.")],
    direction: Annotated[
        str, typer.Option(help="'lower' or 'higher' is better.")
    ] = "lower",
    organisation: Annotated[str, typer.Option(help="Owning organisation.")] = "default",
) -> None:
    """Start tracking a pilot."""
    if direction not in ("lower", "higher"):
        raise typer.BadParameter(
            "expected 'lower' or 'higher'", param_hint="--direction"
        )
    record = _tracker().create(
        name,
        organisation=organisation,
        use_case=use_case,
        kpi=kpi,
        unit=unit,
        direction="lower" if direction == "lower" else "higher",
        baseline=baseline,
        goal=goal,
        actor=get_settings().user,
    )
    console.print(
        f"tracking pilot [bold]{record.name}[/]: {record.kpi} {baseline:g} → {goal:g}"
    )


@app.command("record")
def record(
    name: str,
    kpi_value: Annotated[
        float, typer.Option("--kpi", help="KPI measured this iteration.")
    ],
    model: Annotated[list[str] | None, typer.Option(help="Model version used.")] = None,
    dataset: Annotated[
        list[str] | None, typer.Option(help="Dataset version used.")
    ] = None,
    note: str = "",
) -> None:
    """Record the KPI of the next iteration, with its model and data versions."""
    it = _tracker().record(
        name,
        kpi_value=kpi_value,
        models=model or [],
        datasets=dataset or [],
        note=note,
        actor=get_settings().user,
    )
    console.print(f"iteration {it.number} of {name}: {it.kpi_value:g}")


@app.command("show")
def show(
    name: str,
    pdf: Annotated[
        Path | None, typer.Option(help="Write the one-page PDF report.")
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Write the report as HTML.")] = None,
) -> None:
    """Show a pilot's KPI over iterations against its goal."""
    rec = _tracker().get(name)
    table = Table(title=f"{rec.name}: {rec.kpi} [{rec.unit}], goal {rec.goal:g}")
    for col in ("Iteration", "KPI", "To goal", "Models", "Data", "Note"):
        table.add_column(col)
    table.add_row("baseline", f"{rec.baseline:g}", "0%", "", "", "")
    for it in rec.iterations:
        table.add_row(
            str(it.number),
            f"{it.kpi_value:g}",
            f"{rec.progress(it.kpi_value):.0%}",
            ", ".join(it.models),
            ", ".join(it.datasets),
            it.note,
        )
    console.print(table)
    console.print("goal reached" if rec.goal_reached else "goal not yet reached")
    if pdf:
        tracker_pdf(rec, pdf)
        console.print(f"PDF report: {pdf}")
    if html:
        html.write_text(tracker_html(rec), encoding="utf-8")
        console.print(f"HTML report: {html}")


@app.command("list")
def list_pilots() -> None:
    """List the tracked pilots."""
    for name in _tracker().list():
        console.print(name)
