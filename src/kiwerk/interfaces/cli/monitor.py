"""``kiwerk monitor``: listen to a live line, score, alert and store."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kiwerk.core.data import Pool
from kiwerk.core.scale import RayParams, ShardParams
from kiwerk.domains.industry.stream import (
    LineConfig,
    ModelScorer,
    PoolSink,
    load_line_config,
    load_stream_model,
    run_monitor,
)
from kiwerk.errors import ConfigError
from kiwerk.interfaces.cli.scale import RayOption
from kiwerk.settings import get_settings

app = typer.Typer(
    help="Live machine monitoring over MQTT and OPC UA.", no_args_is_help=True
)
console = Console()


def _model_scorer(line: LineConfig) -> ModelScorer | None:
    """The line's registered model (``[model]``), if the registry has it."""
    if line.model is None:
        return None
    from kiwerk.interfaces.cli.pilots import model_registry, pilot_catalog

    pilot = pilot_catalog().get(line.model.pilot)
    served = load_stream_model(pilot, model_registry(get_settings()), line.model.ref)
    if served is None:
        console.print(
            f"no {line.model.ref} version of {line.model.pilot} in the registry:"
            " detectors only"
        )
        return None
    console.print(f"scoring {line.model.pilot} v{served.record.version} per machine")
    return ModelScorer(
        served,
        line.machine_names(),
        [list(m.sensors) for m in line.machines]
        + [list(s.nodes.values()) for s in line.opcua],
        line.model.params,
    )


@app.command("run")
def run(
    config: Annotated[Path, typer.Argument(help="Line configuration (TOML).")],
    store: Annotated[Path, typer.Option(help="Folder of the stored readings.")] = Path(
        "kiwerk-line"
    ),
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds.")
    ] = None,
    pool: Annotated[
        bool, typer.Option(help="Store into the data pool instead of --store.")
    ] = False,
    dataset: Annotated[str, typer.Option(help="Pool dataset of the readings.")] = (
        "line-readings"
    ),
    org: Annotated[
        str | None, typer.Option(help="Organisation owning a new pool dataset.")
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="Detector state file (default: STORE/checkpoint.npz)."),
    ] = None,
    ray: RayOption = None,
    shards: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Shard the detectors by machine (Ray actors with --ray; "
            "default 2 there, else one scorer in this process).",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Monitor the line in CONFIG until Ctrl-C, SIGTERM or --duration."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    line = load_line_config(config)
    stop = threading.Event()

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    console.print(
        f"monitoring {len(line.machine_names())} machines on "
        f"{line.broker.host}:{line.broker.port}; readings to {store}"
    )
    sink: Path | PoolSink = store
    if pool:
        if org is None:
            raise ConfigError("--pool needs --org, the organisation owning the dataset")
        settings = get_settings()
        the_pool = Pool.open(settings.pool_dir, secrets_path=settings.secrets_path)
        sink = PoolSink(
            the_pool, dataset, actor=settings.user, org=org, state_dir=store
        )
    store.mkdir(parents=True, exist_ok=True)
    model = _model_scorer(line)
    ray_params = RayParams.resolve(ray, get_settings().ray_address)
    if shards is None and not ray_params.in_process:
        shards = 2
    if shards is not None:
        where = "in this process" if ray_params.in_process else "as Ray actors"
        console.print(f"detectors in {shards} shards by machine, {where}")
    try:
        stats = run_monitor(
            line,
            sink,
            duration=duration,
            stop=stop,
            checkpoint=checkpoint or store / "checkpoint.npz",
            model=model,
            shards=None if shards is None else ShardParams(shards=shards),
            ray=ray_params,
        )
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return
    table = Table(title="monitor run")
    table.add_column("what")
    table.add_column("count", justify="right")
    for what, count in [
        ("messages received", stats.received),
        ("readings stored", stats.stored_readings),
        ("vectors scored", stats.scored),
        ("alerts", stats.alerts),
        ("recalibrations", len(stats.recalibrations)),
        ("change points", stats.changepoints),
        *((f"dropped: {k}", v) for k, v in sorted(stats.dropped.items()) if v),
    ]:
        table.add_row(what, str(count))
    console.print(table)
