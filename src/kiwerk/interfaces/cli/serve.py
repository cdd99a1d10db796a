"""``kiwerk serve``: run the REST API (uvicorn), and set up its first owner.

``kiwerk serve`` runs the service; ``kiwerk serve init ORG USER`` creates the
first organisation and its owner with a password (asked for, never an
argument) in a fresh installation; ``kiwerk serve password USER`` resets a
user's password from the server's shell.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from kiwerk.core.auth import bootstrap_owner, set_password
from kiwerk.interfaces.api import ApiParams, build_services
from kiwerk.settings import get_settings

app = typer.Typer(
    help="Run the REST API (`kiwerk serve`) or set up its users.",
    invoke_without_command=True,
)
console = Console()


@app.callback()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    max_upload_mb: Annotated[
        int, typer.Option(help="Largest dataset upload in MiB.")
    ] = 512,
) -> None:
    """Run the kiwerk REST API over the pool and models of the settings."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from kiwerk.interfaces.api import create_app

    settings = get_settings()
    params = ApiParams(max_upload_bytes=max_upload_mb * 1024 * 1024)
    console.print(
        f"kiwerk API on http://{host}:{port} (docs at /docs, dashboard at /ui/), "
        f"home {settings.home}"
    )
    if workers == 1:
        uvicorn.run(create_app(settings, params), host=host, port=port)
    else:
        uvicorn.run(
            "kiwerk.interfaces.api.app:create_default_app",
            host=host,
            port=port,
            workers=workers,
            factory=True,
        )


def _password(confirm: bool = True) -> str:
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=confirm))


@app.command("init")
def init(
    org: Annotated[str, typer.Argument(help="The first organisation.")],
    user: Annotated[str, typer.Argument(help="Its owner.")],
) -> None:
    """Create the first organisation and its owner (fresh installations only)."""
    services = build_services(get_settings(), ApiParams())
    bootstrap_owner(
        services.pool,
        services.store,
        services.hasher,
        org=org,
        user=user,
        password=_password(),
    )
    services.store.close()
    console.print(f"created organisation [bold]{org}[/] owned by [bold]{user}[/]")


@app.command("password")
def password(user: Annotated[str, typer.Argument(help="The user.")]) -> None:
    """Set a user's password (an operator's reset)."""
    services = build_services(get_settings(), ApiParams())
    set_password(
        services.pool, services.store, services.hasher, user=user, password=_password()
    )
    services.store.close()
    console.print(f"password of [bold]{user}[/] set")
