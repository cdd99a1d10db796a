"""Health commands: ``kiwerk pool ingest-dicom DIR``.

The command function is registered on the pool's Typer app (see the report to
the lead): ``pool.app.command("ingest-dicom")(health.ingest_dicom)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kiwerk.core.data import Pool, load_secrets
from kiwerk.domains import health as domain
from kiwerk.errors import NotFound
from kiwerk.settings import load_settings

console = Console()


def ingest_dicom(
    directory: Annotated[Path, typer.Argument(help="Folder of .dcm files.")],
    dataset: Annotated[str, typer.Option(help="Target dataset.")] = "dicom",
    org: Annotated[str | None, typer.Option(help="Org of a new dataset.")] = None,
) -> None:
    """De-identify DICOM files (PS3.15 Basic Profile) into the pool."""
    settings = load_settings()
    pool = Pool.open(settings.pool_dir, secrets_path=settings.secrets_path)
    user = settings.user
    try:
        pool.spec(dataset, actor=user)
    except NotFound:
        owners = [o["name"] for o in pool.organisations() if user in o["members"]]
        owner = org or (owners[0] if len(owners) == 1 else None)
        if owner is None:
            raise typer.BadParameter(
                "name the dataset's organisation with --org"
            ) from None
        pool.create_dataset(
            dataset, org=owner, actor=user, spec=domain.dicom_manifest_spec()
        )
    keys = load_secrets(settings.secrets_path, pool_root=settings.pool_dir)
    with console.status(f"de-identifying {directory}"):
        report = domain.ingest_dicom(
            pool,
            directory,
            dataset,
            actor=user,
            key=domain.dicom_key(keys.pseudonym_key),
            store=settings.home / "dicom",
        )
    images = report.images
    console.print(
        f"[green]{dataset} v{report.version}[/]: {len(images.ingested)} images "
        f"de-identified into {report.store}, {len(images.quarantined)} quarantined"
    )
    if images.quarantined:
        table = Table("file", "sha256", "reason", title="Quarantined")
        for q in images.quarantined:
            table.add_row(q.file, q.sha256[:16], q.reason)
        console.print(table)
