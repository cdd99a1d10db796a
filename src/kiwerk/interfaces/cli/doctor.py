"""``kiwerk doctor``: check the deployment the settings describe.

Exit code 0 when nothing failed (warnings allowed), 1 otherwise. Invalid
settings (e.g. a development secret in production) are reported as a failed
check rather than a crash.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kiwerk.core.doctor import Check, DoctorParams, run_checks
from kiwerk.errors import ConfigError
from kiwerk.settings import Settings, load_settings

console = Console()

_STYLE = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}
_SECRET_FIELDS = ("secret_key",)


def _params(settings: Settings, min_free_gib: float) -> DoctorParams:
    return DoctorParams(
        production=settings.env == "production",
        metadata_url=settings.metadata_url,
        tracking_uri=settings.tracking_uri,
        broker_url=settings.broker_url,
        ray_address=settings.ray_address,
        secret_is_default=settings.secret_key
        == Settings.model_fields["secret_key"].get_default(),
        secrets_path=settings.secrets_path,
        home=settings.home,
        data=settings.data,
        min_free_gib=min_free_gib,
    )


def _settings_table(settings: Settings) -> Table:
    table = Table(title="settings (KIWERK_<NAME>, kiwerk.toml)")
    table.add_column("name")
    table.add_column("value")
    for name, value in settings.model_dump().items():
        shown = "***" if name in _SECRET_FIELDS else str(value)
        table.add_row(name, escape(shown))
    return table


def doctor(
    show_settings: Annotated[
        bool, typer.Option("--settings", help="Also print the resolved settings.")
    ] = False,
    min_free_gib: Annotated[
        float, typer.Option(help="Free disk space (GiB) the home needs.")
    ] = 2.0,
) -> None:
    """Check the metadata DB, MLflow, broker, Ray, secrets, folders and disk."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        checks = [Check("settings", "fail", str(exc))]
    else:
        if show_settings:
            console.print(_settings_table(settings))
        checks = [Check("settings", "ok", f"env {settings.env}")]
        checks += run_checks(_params(settings, min_free_gib))
    table = Table(title="kiwerk doctor")
    table.add_column("part")
    table.add_column("status")
    table.add_column("detail")
    for check in checks:
        table.add_row(check.name, _STYLE[check.level], escape(check.detail))
    console.print(table)
    failed = [c.name for c in checks if c.failed]
    if failed:
        console.print(f"[red]{len(failed)} part(s) failed:[/] {', '.join(failed)}")
        raise typer.Exit(1)
    console.print("[green]all parts reachable and configured[/]")
