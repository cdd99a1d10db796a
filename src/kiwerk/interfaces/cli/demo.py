"""``kiwerk demo``: ingest a real dataset, train the pilots, serve the dashboard.

Runs from a clean home: it creates the pool (and its secrets file), a demo
organisation owned by ``KIWERK_USER``, and ingests the AI4I 2020 table under
its shipped contract, pseudonymising ``Product ID``; then it trains the
machine-failure pilot through the shared pipeline, which evaluates it on the
official split, explains it and registers it in MLflow as a candidate.
Unless ``--no-serve``, it then brings the whole platform up
(:mod:`kiwerk.interfaces.cli.demo_live`): the quick RUL, X-ray and traffic
pilots, a signal-control run, a simulated line with its monitor on a local
mosquitto, and the dashboard with a printed URL and login.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from kiwerk.core.data import Pool, builtin_contract
from kiwerk.errors import DatasetUnavailable, NotFound
from kiwerk.interfaces.cli import pilots
from kiwerk.interfaces.cli.demo_live import bring_up
from kiwerk.interfaces.cli.pool import ingest_with_progress, render_quality
from kiwerk.settings import load_settings

DEMO_ORG = "demo-works"
DEMO_DATASET = "ai4i2020"
DEMO_PILOT = "industry-failure"


def demo(
    train: Annotated[
        bool,
        typer.Option(help="Also train, evaluate, explain and register the pilots."),
    ] = True,
    serve: Annotated[
        bool,
        typer.Option(
            help="Then train the quick pilots, start the line and serve the "
            "dashboard (--no-serve stops after the AI4I part)."
        ),
    ] = True,
    host: Annotated[str, typer.Option(help="Dashboard address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8000,
    duration: Annotated[
        float | None, typer.Option(help="Stop serving after this many seconds.")
    ] = None,
    machines: Annotated[
        int, typer.Option(min=1, max=500, help="Engines on the live line.")
    ] = 20,
) -> None:
    """Run the demo: ingest AI4I 2020, check its quality, train the failure pilot;
    then (unless --no-serve) bring up every pilot, a live line and the dashboard."""
    settings = load_settings()
    console = Console()
    source = settings.data / "ai4i2020" / "ai4i2020.csv"
    if not source.is_file():
        raise DatasetUnavailable(
            "the AI4I 2020 file is missing; run `kiwerk datasets fetch ai4i2020` or "
            f"point KIWERK_DATA at the folder holding ai4i2020/ (now {settings.data})",
            source=str(source),
        )
    pool = Pool.open(settings.pool_dir, secrets_path=settings.secrets_path)
    user = settings.user
    if not pool.organisations():
        pool.bootstrap(DEMO_ORG, user)
        console.print(
            f"new pool at {pool.root}; organisation {DEMO_ORG!r}, owner {user!r}"
        )
    if DEMO_DATASET not in {d.name for d in pool.datasets(actor=user)}:
        orgs = [o["name"] for o in pool.organisations() if user in o["members"]]
        if not orgs:
            raise NotFound(f"user {user!r} has no organisation in {pool.root}")
        spec = builtin_contract("ai4i2020")
        pool.create_dataset(DEMO_DATASET, org=orgs[0], actor=user, spec=spec)
    report = ingest_with_progress(
        pool, source, DEMO_DATASET, user=user, console=console
    )
    console.print(
        f"[green]{DEMO_DATASET} v{report.version}[/]: {report.rows:,} rows stored "
        f"(sha256 {report.content_hash[:16]}…), 'Product ID' pseudonymised"
    )
    render_quality(report.quality, console)
    html = pool.quality_html(DEMO_DATASET, report.version, actor=user)
    checked = pool.audit.verify()
    console.print(f"HTML report: {html}")
    console.print(f"audit log intact: {checked.entries} entries")
    if train:
        console.rule("pilot: machine failure prediction (industry-failure)")
        pilots.train(DEMO_PILOT)
        console.print(
            "next: `kiwerk models list`, `kiwerk explain industry-failure --input "
            "FILE`, `kiwerk readiness check`, `kiwerk serve`"
        )
    if serve:
        bring_up(
            settings,
            pool,
            console,
            host=host,
            port=port,
            duration=duration,
            machines=machines,
            train=train,
        )
