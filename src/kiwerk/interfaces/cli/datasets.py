"""``kiwerk datasets``: list, verify and fetch the benchmark datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from kiwerk.datasets import (
    DatasetSpec,
    VerifyReport,
    locate,
    select_datasets,
    transfer_progress,
    verify_dataset,
)
from kiwerk.errors import ChecksumError, DatasetUnavailable
from kiwerk.settings import Settings, get_settings

app = typer.Typer(
    help="The benchmark datasets: list, verify, fetch.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)

Names = Annotated[
    list[str] | None,
    typer.Argument(help="Dataset names or groups (e.g. traffic); none means all."),
]


def _cache_dir(settings: Settings) -> Path:
    return settings.home / "cache"


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _status(report: VerifyReport) -> str:
    if report.ok:
        return "[green]verified[/]"
    if report.mismatched:
        return f"[bold red]{len(report.mismatched)} mismatch[/]"
    n, total = len(report.missing), len(report.files)
    return "[yellow]absent[/]" if n == total else f"[yellow]{n} of {total} absent[/]"


def _license(spec: DatasetSpec) -> str:
    flag = " [bold magenta]research only[/]" if spec.research_only else ""
    return f"{spec.license_id}{flag}"


def _hash_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def _verify_all(
    specs: list[DatasetSpec], settings: Settings, *, use_cache: bool = True
) -> list[VerifyReport]:
    cache_dir = _cache_dir(settings) if use_cache else None
    with _hash_progress() as progress:
        return [
            verify_dataset(spec, settings.data, cache_dir=cache_dir, progress=progress)
            for spec in specs
        ]


@app.command("list")
def list_datasets() -> None:
    """Show every dataset: files, size, licence and whether it is verified."""
    settings = get_settings()
    specs = select_datasets()
    reports = _verify_all(specs, settings)
    table = Table(title=f"Datasets in {settings.data}")
    for column in ("name", "files", "size", "license", "status"):
        table.add_column(
            column, justify="right" if column in ("files", "size") else "left"
        )
    for spec, report in zip(specs, reports, strict=True):
        table.add_row(
            spec.name,
            str(len(spec.files)),
            _human(spec.size),
            _license(spec),
            _status(report),
        )
    console.print(table)


@app.command("verify")
def verify(
    names: Names = None,
    full: Annotated[
        bool, typer.Option("--full", help="Re-hash every file, ignoring the cache.")
    ] = False,
) -> None:
    """Check every file's sha256; exit non-zero on any mismatch or absence."""
    settings = get_settings()
    specs = select_datasets(names or [])
    reports = _verify_all(specs, settings, use_cache=not full)
    table = Table(title=f"Verification in {settings.data}")
    for column in ("name", "files", "status"):
        table.add_column(column)
    for report in reports:
        table.add_row(report.dataset.name, str(len(report.files)), _status(report))
    console.print(table)
    for report in reports:
        for status in report.mismatched:
            err_console.print(
                f"[red]mismatch[/] {status.path}: expected {status.file.sha256}, "
                f"actual {status.actual}",
                highlight=False,
                soft_wrap=True,
            )
    for report in reports:
        report.raise_for_mismatch()
    absent = [r for r in reports if r.missing]
    if absent:
        names_absent = ", ".join(r.dataset.name for r in absent)
        raise DatasetUnavailable(
            f"files absent in {names_absent}; run `kiwerk datasets fetch "
            f"{absent[0].dataset.name}` or set KIWERK_DATA (now {settings.data})"
        )


@app.command("fetch")
def fetch(
    names: Annotated[list[str], typer.Argument(help="Dataset names or groups.")],
) -> None:
    """Download the absent files of datasets from their canonical URLs."""
    settings = get_settings()
    specs = select_datasets(names)
    failures: list[str] = []
    with transfer_progress(err_console) as progress:
        for spec in specs:
            try:
                folder = locate(
                    spec,
                    settings.data,
                    download=settings.download,
                    cache_dir=_cache_dir(settings),
                    progress=progress,
                )
            except (ChecksumError, DatasetUnavailable) as exc:
                if len(specs) == 1:
                    raise
                failures.append(str(exc))
                err_console.print(
                    f"[red]failed[/] {exc}", highlight=False, soft_wrap=True
                )
                continue
            console.print(
                f"[green]ready[/] {spec.name}: {folder}",
                highlight=False,
                soft_wrap=True,
            )
    if failures:
        raise DatasetUnavailable(f"{len(failures)} of {len(specs)} datasets failed")
