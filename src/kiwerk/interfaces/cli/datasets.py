"""``kiwerk datasets``: list, verify and fetch the benchmark datasets."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="The benchmark datasets: list, verify, fetch.", no_args_is_help=True
)
