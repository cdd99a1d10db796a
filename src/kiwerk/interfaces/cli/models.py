"""``kiwerk models list|show|promote``: the model registry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kiwerk.core.models import ModelRecord, promote
from kiwerk.errors import ExportError
from kiwerk.interfaces.cli.pilots import model_registry, pilot_catalog
from kiwerk.interfaces.cli.pool import open_pool
from kiwerk.settings import get_settings

app = typer.Typer(
    help="Registered models: list, show, promote, export, card.", no_args_is_help=True
)
console = Console()


def _when(record: ModelRecord) -> str:
    stamp = dt.datetime.fromtimestamp(record.created_ms / 1000, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%d %H:%M")


def _datasets(record: ModelRecord) -> str:
    return ", ".join(
        f"{d.name} v{d.version} ({d.content_hash[:12]})" for d in record.datasets
    )


@app.command("list")
def list_models() -> None:
    """List every registered model version with its stage and test metrics."""
    registry = model_registry(get_settings())
    table = Table("model", "version", "stage", "test metrics", "datasets", "created")
    for name in registry.names():
        for record in registry.versions(name):
            metrics = ", ".join(
                f"{k} {v:.3f}" for k, v in list(record.metrics.items())[:3]
            )
            table.add_row(
                name,
                str(record.version),
                record.stage,
                metrics,
                _datasets(record),
                _when(record),
            )
    if not table.rows:
        console.print("no models registered yet; run `kiwerk train PILOT`")
        return
    console.print(table)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Model (pilot) name.")],
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            "-v",
            help="Number or alias; default production, else the newest.",
        ),
    ] = None,
) -> None:
    """Show everything a model version carries."""
    record = model_registry(get_settings()).resolve(name, version)
    console.print(
        f"[bold]{record.name}[/] version {record.version} "
        f"([bold]{record.stage}[/]), created {_when(record)}"
    )
    console.print(
        f"code: {record.code_version}    seed: {record.seed}    run: {record.run_id}"
    )
    console.print(f"trained on: {_datasets(record) or 'no pool dataset'}")
    table = Table("metric", "test", "CV mean", "CV sd", title="metrics")
    cv = record.cv_metrics
    for key, value in record.metrics.items():
        mean, sd = cv.get(f"{key}.mean"), cv.get(f"{key}.sd")
        table.add_row(
            key,
            f"{value:.4f}",
            "–" if mean is None else f"{mean:.4f}",
            "–" if sd is None else f"{sd:.4f}",
        )
    console.print(table)
    if record.kpis:
        console.print(
            "KPIs: " + ", ".join(f"{k} {v:,.4g}" for k, v in record.kpis.items())
        )
    importance = record.explanation.get("importance", {})
    if importance:
        console.print(
            "importance: "
            + ", ".join(f"{k} {float(v):.3f}" for k, v in list(importance.items())[:8])
        )
    console.print("params: " + ", ".join(f"{k}={v}" for k, v in record.params.items()))


@app.command("promote")
def promote_version(
    name: Annotated[str, typer.Argument(help="Model (pilot) name.")],
    version: Annotated[int, typer.Argument(help="The version to make production.")],
) -> None:
    """Make VERSION of NAME the production model (owners only; metric rule)."""
    settings = get_settings()
    pilot = pilot_catalog().get(name)
    registry = model_registry(settings)
    record = registry.record(name, version)
    pool, user = open_pool(settings)
    # The owners of the data's organisation decide; data of several
    # organisations needs the user to own each of them.
    orgs = sorted({d.org for d in record.datasets if d.org}) or [pilot.contract.org]
    for other in orgs[1:]:
        pool.require_role(user, other, "owner")
    org = orgs[0]
    promoted = promote(
        registry,
        name,
        version,
        actor=user,
        org=org,
        governance=pool,
        rule=pilot.promotion,
    )
    metric = pilot.promotion.metric
    value = promoted.metrics.get(metric, float("nan"))
    console.print(
        f"[green]{name} version {promoted.version} is now production[/] "
        f"({metric} {value:.4f}); recorded in the audit log"
    )


@app.command("export")
def export(
    name: Annotated[str, typer.Argument(help="Model (pilot) name.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The .onnx file to write.")],
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            "-v",
            help="Number or alias; default production, else the newest.",
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Export format (only 'onnx').")
    ] = "onnx",
) -> None:
    """Export a model for the edge: ONNX with its feature spec (FILE and FILE.json).

    Score it with `kiwerk edge run FILE --input rows.csv` (onnxruntime only).
    """
    if fmt != "onnx":
        raise ExportError(f"unknown format {fmt!r}; only 'onnx'")
    from kiwerk.core.models.onnx import export_record

    registry = model_registry(get_settings())
    record = registry.resolve(name, version)
    with console.status(f"converting {name} version {record.version} to ONNX"):
        edge = export_record(registry, record)
        side = edge.save(out)
    size = out.stat().st_size / 1e6
    console.print(
        f"[green]wrote {out}[/] ({size:.1f} MB) and its spec {side.name}: inputs "
        + ", ".join(f"{i['name']} {i['columns']}" for i in edge.spec["inputs"])
    )
    console.print(f"feature step: {edge.spec['feature_step']}")
