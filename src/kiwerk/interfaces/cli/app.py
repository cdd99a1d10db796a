"""The ``kiwerk`` command: one Typer app, one module per command group.

Commands stay thin: they parse arguments, call the core function the API also
calls, and render the result with Rich. A :class:`~kiwerk.errors.KiwerkError`
becomes its message on stderr and the error's exit code.
"""

from __future__ import annotations

import sys

import click
import typer
from rich.console import Console
from rich.markup import escape

from kiwerk import __version__
from kiwerk.errors import KiwerkError
from kiwerk.interfaces.cli import (
    card,
    datasets,
    demo,
    doctor,
    edge,
    health,
    mobility,
    models,
    monitor,
    pilots,
    pool,
    readiness,
    scale,
    serve,
    simulate,
    tracker,
)

app = typer.Typer(
    name="kiwerk",
    help="kiwerk: governed data pools and explainable AI pilots.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
pool.app.command("ingest-dicom")(health.ingest_dicom)
models.app.command("card")(card.card)
app.add_typer(datasets.app, name="datasets")
app.add_typer(pool.app, name="pool")
app.add_typer(mobility.app, name="mobility")
app.add_typer(readiness.app, name="readiness")
app.add_typer(tracker.app, name="tracker")
app.add_typer(simulate.app, name="simulate")
app.add_typer(monitor.app, name="monitor")
app.command("demo")(demo.demo)
app.add_typer(models.app, name="models")
app.add_typer(serve.app, name="serve")
app.add_typer(edge.app, name="edge")
app.command("train")(pilots.train)
app.command("evaluate")(pilots.evaluate)
app.command("explain")(pilots.explain)
app.command("tune")(scale.tune)
app.command("score")(scale.score)
app.command("doctor")(doctor.doctor)

err_console = Console(stderr=True)


@app.command("version")
def show_version() -> None:
    """Print kiwerk's version."""
    print(__version__)


def main() -> None:
    """Entry point: run the app, turning kiwerk errors into clean exits."""
    try:
        result = app(standalone_mode=False)
    except KiwerkError as exc:
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(result if isinstance(result, int) else 0)
