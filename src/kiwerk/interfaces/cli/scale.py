"""``kiwerk tune PILOT`` and ``kiwerk score PILOT``: the same work, scaled out.

Both run in-process unless ``--ray`` (``auto``, ``local`` or a cluster
address) or the ``ray_address`` setting (``KIWERK_RAY_ADDRESS``) asks for Ray.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kiwerk.core.pipeline import DomainPipeline, TrainParams, train_pilot
from kiwerk.core.scale import (
    RayParams,
    ScoreParams,
    TuneParams,
    TuneReport,
    score_files,
    tune_pilot,
)
from kiwerk.core.serving import ServedModel
from kiwerk.errors import ConfigError
from kiwerk.interfaces.cli.pilots import (
    _progress,
    model_registry,
    pilot_catalog,
    pool_source,
)
from kiwerk.interfaces.cli.pool import open_pool
from kiwerk.settings import get_settings

console = Console()

PilotName = Annotated[str, typer.Argument(help="The pilot, e.g. industry-rul.")]
RayOption = Annotated[
    str | None,
    typer.Option(
        "--ray",
        help="Run on Ray: auto, local or a cluster address (host:port); "
        "default the ray_address setting, else in-process.",
    ),
]


def _ray(option: str | None) -> RayParams:
    return RayParams.resolve(option, get_settings().ray_address)


def tune(
    pilot: PilotName,
    trials: Annotated[int, typer.Option(help="Configurations to try.")] = 16,
    seed: Annotated[int | None, typer.Option(help="Seed; default the setting.")] = None,
    quick: Annotated[bool, typer.Option(help="Small budget (smoke runs).")] = False,
    folds: Annotated[
        int | None, typer.Option(help="Validation folds (ASHA's resource).")
    ] = None,
    ray: RayOption = None,
    register: Annotated[
        bool,
        typer.Option(help="Train the best configuration and register it."),
    ] = False,
) -> None:
    """Search PILOT's hyper-parameters on validation folds (ASHA early stopping)."""
    settings = get_settings()
    spec = pilot_catalog().get(pilot)
    params = TuneParams(
        trials=trials,
        seed=settings.seed if seed is None else seed,
        quick=quick,
        folds=folds,
    )
    source = pool_source(settings, spec, ingest=True)
    with _progress() as progress:
        report = tune_pilot(
            spec,
            source,
            params,
            _ray(ray),
            progress=lambda done, total: progress("trials", done, total),
        )
    console.print(_trial_table(report))
    best = report.best
    console.print(
        f"best: trial {best.index}, validation {report.metric} {best.value:.4f} "
        f"({report.backend}, {report.seconds:.1f} s)"
    )
    if register:
        tuned = _with_config(spec, best.config)
        train = TrainParams(seed=params.seed, quick=quick)
        with _progress() as progress:
            result = train_pilot(
                tuned, source, model_registry(settings), train, progress=progress
            )
        test = result.metrics.get(report.metric, float("nan"))
        console.print(
            f"registered [bold]{spec.name}[/] version {result.record.version} "
            f"(test {report.metric} {test:.4f})"
        )


def _with_config(pilot: DomainPipeline, config: dict[str, Any]) -> DomainPipeline:
    space = pilot.search
    if space is None:
        raise ConfigError(f"pilot {pilot.name!r} declares no search space")

    def factory(seed: int, *, quick: bool = False) -> Any:
        return space.factory(config, seed, quick)

    return dataclasses.replace(pilot, model_factory=factory)


def _trial_table(report: TuneReport) -> Table:
    table = Table(title=f"{report.pilot}: validation {report.metric} per trial")
    table.add_column("trial", justify="right")
    table.add_column("configuration")
    table.add_column("folds", justify="right")
    table.add_column(report.metric, justify="right")
    for trial in report.trials:
        config = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in trial.config.items()
        )
        stopped = " (stopped)" if trial.stopped else ""
        table.add_row(
            str(trial.index),
            config,
            f"{len(trial.scores)}/{report.folds}{stopped}",
            f"{trial.value:.4f}",
        )
    return table


def score(
    pilot: PilotName,
    dataset: Annotated[
        str, typer.Option(help="Pool dataset to score, NAME or NAME@VERSION.")
    ],
    out: Annotated[Path, typer.Option(help="New folder for the Parquet output.")],
    version: Annotated[
        str | None,
        typer.Option("--version", "-v", help="Model version or alias."),
    ] = None,
    keep: Annotated[
        list[str] | None, typer.Option(help="Input column copied to the output.")
    ] = None,
    batch_rows: Annotated[int, typer.Option(help="Rows per batch.")] = 65_536,
    ray: RayOption = None,
) -> None:
    """Score every row of a pool dataset with PILOT's model; Parquet out."""
    settings = get_settings()
    spec = pilot_catalog().get(pilot)
    name, _, number = dataset.partition("@")
    if number and not number.isdigit():
        raise ConfigError(f"expected NAME@VERSION with a number, got {dataset!r}")
    pool, user = open_pool(settings)
    info, path = pool.data_file(name, int(number) if number else None, actor=user)
    served = ServedModel.load(spec, model_registry(settings), version)
    params = ScoreParams(batch_rows=batch_rows, keep=tuple(keep or ()))
    with _progress() as progress:
        report = score_files(
            served,
            [path],
            out,
            params,
            _ray(ray),
            progress=lambda rows: progress(f"scored {rows:,} rows", rows, info.rows),
        )
    console.print(
        f"scored {report.rows:,} rows of {info.dataset} v{info.version} with "
        f"{spec.name} version {served.record.version} ({report.backend}): "
        f"{report.rows_per_s:,.0f} rows/s; wrote {len(report.files)} file(s) to {out}"
    )
