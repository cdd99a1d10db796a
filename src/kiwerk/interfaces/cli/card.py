"""``kiwerk models card NAME``: write a model's card as Markdown and HTML.

Register in cli/models.py with ``app.command("card")(card.card)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from kiwerk.core.docs import build_card
from kiwerk.errors import KiwerkError
from kiwerk.interfaces.cli.pilots import model_registry, pilot_catalog
from kiwerk.interfaces.cli.pool import open_pool
from kiwerk.settings import get_settings

console = Console()


def card(
    name: Annotated[str, typer.Argument(help="The model (pilot) name.")],
    version: Annotated[
        str | None, typer.Option("--version", "-v", help="Version or alias.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for card.md and card.html.")] = Path(
        "."
    ),
) -> None:
    """Write the model card of NAME (from the registry and the pool)."""
    settings = get_settings()
    pilot = pilot_catalog().get(name)
    ref: str | int | None = int(version) if version and version.isdigit() else version
    record = model_registry(settings).resolve(name, ref)
    pool, user = open_pool(settings)
    quality = {}
    for ds in record.datasets:
        try:
            quality[ds.name] = pool.quality(ds.name, ds.version, actor=user).to_dict()
        except KiwerkError as exc:
            console.print(f"[yellow]no quality report for {ds.name}:[/] {exc}")
    document = build_card(pilot, record, quality=quality)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-v{record.version}-card"
    (out / f"{stem}.md").write_text(document.to_markdown(), encoding="utf-8")
    (out / f"{stem}.html").write_text(document.to_html(), encoding="utf-8")
    console.print(f"wrote {out / (stem + '.md')} and {stem}.html")
