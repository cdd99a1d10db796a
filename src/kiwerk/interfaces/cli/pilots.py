"""``kiwerk train|evaluate|explain PILOT``: the pilot pipeline from the shell.

Every registered pilot goes through the same core functions; this module only
builds the parts from the settings (registry, data source) and renders
results. :func:`pilot_catalog` is where a domain's pilot is listed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from kiwerk.core.explain import write_importance
from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import (
    DomainPipeline,
    PilotCatalog,
    PoolSource,
    TrainParams,
    ensure_datasets,
    evaluate_pilot,
    fit_models,
    train_pilot,
)
from kiwerk.core.pipeline import Progress as ProgressCallback
from kiwerk.core.scale import RayParams, ray_fit_map
from kiwerk.core.serving import ServedModel, read_request_file
from kiwerk.domains.health import survival_pilot, xray_pilot
from kiwerk.domains.industry.failure import failure_pilot
from kiwerk.domains.industry.rul import rul_pilots
from kiwerk.domains.mobility import forecast_pilot
from kiwerk.errors import NotFound
from kiwerk.interfaces.cli.pool import open_pool
from kiwerk.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)

PilotName = Annotated[str, typer.Argument(help="The pilot, e.g. industry-failure.")]
Subset = Annotated[
    str | None,
    typer.Option(
        help="The pilot's data subset, e.g. FD003 for industry-rul "
        "(each subset is registered as its own model).",
    ),
]
Ref = Annotated[
    str | None,
    typer.Option(
        "--version",
        "-v",
        help="Version number or alias (production, candidate); "
        "default production, else the newest.",
    ),
]


def pilot_catalog() -> PilotCatalog:
    """Every pilot the application offers (one line per domain pilot)."""
    return PilotCatalog(
        [
            failure_pilot(),
            *rul_pilots(),
            forecast_pilot(),
            xray_pilot(),
            survival_pilot(),
        ]
    )


def resolve_pilot(name: str, subset: str | None = None) -> DomainPipeline:
    """The pilot ``name``, or the one of its family whose ``subset`` tag matches.

    ``industry-rul --subset FD003`` is the pilot ``industry-rul-fd003``: a
    family is a name and every pilot named ``name-…``.

    Raises
    ------
    NotFound
        No such pilot, or none of the family has that subset (naming those
        it has).

    Examples
    --------
    >>> resolve_pilot("industry-rul", "fd004").name
    'industry-rul-fd004'
    """
    catalog = pilot_catalog()
    pilot = catalog.get(name)
    if subset is None:
        return pilot
    family = [p for p in catalog if p.name == name or p.name.startswith(f"{name}-")]
    subsets = {p.tags["subset"]: p for p in family if "subset" in p.tags}
    if subset.upper() not in subsets:
        known = ", ".join(sorted(subsets)) or "none"
        raise NotFound(f"pilot {name!r} has no subset {subset!r}; its subsets: {known}")
    return subsets[subset.upper()]


def model_registry(settings: Settings) -> ModelRegistry:
    """The registry the settings name: SQLite under the home, or a server."""
    import mlflow  # noqa: F401  (it sets its loggers up on import; quiet them after)

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    local = settings.mlflow_tracking_uri is None
    return ModelRegistry(
        settings.tracking_uri, settings.home / "mlartifacts" if local else None
    )


def pool_source(
    settings: Settings, pilot: DomainPipeline, *, ingest: bool = False
) -> PoolSource:
    """The pilot's data in the settings' pool, read for training as the user.

    With ``ingest``, datasets the pool lacks are first ingested from the
    benchmark data folder under their contracts.
    """
    pool, user = open_pool(settings)
    if ingest:
        with _progress() as progress:
            reports = ensure_datasets(
                pool,
                pilot,
                data_dir=settings.data,
                actor=user,
                progress=lambda rows: progress(f"ingesting: {rows:,} rows", 0, 1),
            )
        for report in reports:
            console.print(
                f"ingested [bold]{report.dataset}[/] v{report.version} into the pool: "
                f"{report.rows:,} rows ({report.quarantined} quarantined), "
                f"sha256 {report.content_hash[:16]}…"
            )
    return PoolSource(pool, actor=user)


@contextmanager
def _progress() -> Iterator[ProgressCallback]:
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    with bar:
        task = bar.add_task("starting", total=None)

        def update(step: str, done: int, total: int) -> None:
            bar.update(
                task,
                description=step,
                completed=done,
                total=total if total > 1 else None,
            )

        yield update


def _metric_table(title: str, *columns: tuple[str, dict[str, float]]) -> Table:
    table = Table(title=title)
    table.add_column("metric")
    for name, _ in columns:
        table.add_column(name, justify="right")
    keys = list(dict.fromkeys(k for _, values in columns for k in values))
    for key in keys:
        table.add_row(key, *(_fmt(values.get(key)) for _, values in columns))
    return table


def _fmt(value: float | str | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:.4f}" if abs(value) < 100 else f"{value:,.0f}"


def train(
    pilot: PilotName,
    seed: Annotated[int | None, typer.Option(help="Seed; default the setting.")] = None,
    quick: Annotated[
        bool, typer.Option(help="Small budget, 2 folds (smoke runs).")
    ] = False,
    folds: Annotated[int | None, typer.Option(help="Override the CV folds.")] = None,
    subset: Subset = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Fit the CV folds and the final model as Ray tasks: auto, local "
            "or a cluster address; default the ray_address setting, else "
            "in-process. Same seed, same model.",
        ),
    ] = None,
) -> None:
    """Train PILOT, evaluate it, explain it and register it as candidate."""
    settings = get_settings()
    spec = resolve_pilot(pilot, subset)
    params = TrainParams(
        seed=settings.seed if seed is None else seed, quick=quick, cv_folds=folds
    )
    source = pool_source(settings, spec, ingest=True)
    registry = model_registry(settings)
    where = RayParams.resolve(ray, settings.ray_address)
    fit_map = fit_models if where.in_process else ray_fit_map(where)
    with _progress() as progress:
        report = train_pilot(
            spec, source, registry, params, progress=progress, fit_map=fit_map
        )
    cv = {
        k: f"{report.cv_mean[k]:.4f} ± {report.cv_sd.get(k, 0.0):.4f}"
        for k in report.cv_mean
    }
    table = Table(title=f"{spec.name}: test split and {params.folds(spec)}-fold CV")
    table.add_column("metric")
    table.add_column("test", justify="right")
    table.add_column("CV mean ± sd (train part)", justify="right")
    for key, value in report.metrics.items():
        table.add_row(key, _fmt(value), cv.get(key, "–"))
    console.print(table)
    console.print(_metric_table("KPIs (test split)", ("value", report.kpis)))
    top = ", ".join(list(report.explanation.get("importance", {}))[:5])
    datasets = ", ".join(
        f"{d.name} v{d.version} ({d.content_hash[:12]})" for d in report.datasets
    )
    console.print(f"most important: {top}")
    console.print(f"trained on: {datasets}")
    console.print(
        f"registered [bold]{spec.name}[/] version {report.record.version} as "
        f"candidate in {report.seconds:.1f} s"
    )


def evaluate(pilot: PilotName, version: Ref = None, subset: Subset = None) -> None:
    """Evaluate a registered version of PILOT on its official test split."""
    settings = get_settings()
    spec = resolve_pilot(pilot, subset)
    registry = model_registry(settings)
    report = evaluate_pilot(spec, pool_source(settings, spec), registry, version)
    console.print(
        _metric_table(
            f"{spec.name} version {report.record.version} ({report.record.stage})",
            ("now", report.metrics),
            ("recorded", report.record.metrics),
        )
    )
    console.print(_metric_table("KPIs (test split)", ("value", report.kpis)))
    verdict = "[green]yes[/]" if report.reproduced else "[yellow]no[/]"
    console.print(f"recorded metrics reproduced: {verdict}")


def explain(
    pilot: PilotName,
    input_file: Annotated[
        Path, typer.Option("--input", "-i", help="CSV, Parquet or JSON lines.")
    ],
    version: Ref = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Write explanations.csv and importance.png/html here."),
    ] = None,
    top: Annotated[int, typer.Option(help="Features shown per row.")] = 3,
    limit: Annotated[int, typer.Option(help="Rows shown in the terminal.")] = 20,
    subset: Subset = None,
) -> None:
    """Predict and explain every row of an input file with PILOT's model."""
    settings = get_settings()
    spec = resolve_pilot(pilot, subset)
    frame, first_line = read_request_file(input_file)
    served = ServedModel.load(spec, model_registry(settings), version)
    predictions, explanation = served.explain(
        frame, source=str(input_file), first_line=first_line
    )
    table = Table(
        title=f"{spec.name} version {served.record.version}: {explanation.output}"
    )
    table.add_column("line", justify="right")
    for column in predictions.columns[:3]:
        table.add_column(str(column), justify="right")
    table.add_column(f"top {top} contributions")
    for i in range(min(limit, len(predictions))):
        reasons = ", ".join(f"{n} {v:+.2f}" for n, v in explanation.top(i, top))
        row = predictions.iloc[i]
        table.add_row(
            str(i + first_line), *(_fmt(_plain(row.iloc[j])) for j in range(3)), reasons
        )
    console.print(table)
    if len(predictions) > limit:
        console.print(f"… {len(predictions) - limit} more rows (use --out for all)")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        contributions = explanation.contributions.add_prefix("contribution_")
        pd.concat([predictions, contributions], axis=1).to_csv(
            out / "explanations.csv", index=False
        )
        png, page = write_importance(
            explanation.importance(),
            out,
            title=f"{spec.name}: importance on {input_file.name}",
        )
        console.print(f"wrote {out / 'explanations.csv'}, {png.name}, {page.name}")


def _plain(value: object) -> float | str:
    if isinstance(value, str):
        return value
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
