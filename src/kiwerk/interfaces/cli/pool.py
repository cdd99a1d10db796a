"""``kiwerk pool``: the governed data pool."""

from __future__ import annotations

import typer

app = typer.Typer(help="The governed data pool.", no_args_is_help=True)
