"""``kiwerk simulate``: replay real recordings as a live production line."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from kiwerk.domains.industry.stream import (
    BrokerConfig,
    Fault,
    LineSimulator,
    LocalBroker,
    ModelConfig,
    cmapss_recordings,
    cwru_recordings,
    skab_recordings,
    write_line_config,
)
from kiwerk.errors import ConfigError
from kiwerk.settings import get_settings

app = typer.Typer(help="Simulated production lines.", no_args_is_help=True)
console = Console()


def _fault(spec: str, names: list[str]) -> Fault:
    name, _, tick = spec.partition(":")
    if name not in names or not tick.isdigit():
        raise ConfigError(
            f"--fault {spec!r}: expected MACHINE:TICK with a known machine"
        )
    return Fault(names.index(name), int(tick))


@app.command("line")
def line(
    source: Annotated[str, typer.Option(help="cmapss, skab or cwru.")] = "cmapss",
    machines: Annotated[int, typer.Option(help="Machines (cmapss).")] = 20,
    speed: Annotated[
        float, typer.Option(help="× real time; 0 = as fast as possible.")
    ] = 1.0,
    host: Annotated[str, typer.Option(help="MQTT broker host.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="MQTT broker port.")] = 1883,
    local_broker: Annotated[
        bool, typer.Option(help="Start a local mosquitto for the run.")
    ] = False,
    ticks: Annotated[
        int | None, typer.Option(help="Stop after this many ticks.")
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Stop after seconds.")] = None,
    fault: Annotated[
        list[str] | None, typer.Option(help="Inject a fault, MACHINE:TICK.")
    ] = None,
    delay: Annotated[
        float,
        typer.Option(help="Seconds to wait before publishing (start the monitor)."),
    ] = 0.0,
    write_config: Annotated[
        Path | None, typer.Option(help="Write the monitor's line config here.")
    ] = None,
    gateway_size: Annotated[
        int,
        typer.Option(
            help="Machines per gateway frame (binary kiwerk-frame-v1 on "
            "line/gw-<k>); 0 = one JSON message per machine."
        ),
    ] = 0,
    rul_model: Annotated[
        bool,
        typer.Option(
            "--rul-model",
            help="cmapss: send the RUL model's 24 inputs and write a [model] "
            "section (industry-rul) into --write-config.",
        ),
    ] = False,
) -> None:
    """Replay C-MAPSS engines, SKAB runs or CWRU bearings as live machines."""
    logging.basicConfig(level=logging.WARNING)
    data = get_settings().data
    if source == "cmapss":
        recs = cmapss_recordings(
            data / "cmapss", n_machines=machines, model_inputs=rul_model
        )
    elif source == "skab":
        recs = skab_recordings(data / "skab")
    elif source == "cwru":
        recs = cwru_recordings(data / "cwru")
    else:
        raise ConfigError(f"--source {source!r}: expected cmapss, skab or cwru")
    names = [r.machine for r in recs]
    faults = tuple(_fault(s, names) for s in fault or [])
    with contextlib.ExitStack() as stack:
        if local_broker:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            broker = stack.enter_context(LocalBroker(folder, port or None))
            port = broker.port
        sim = LineSimulator(
            recs,
            BrokerConfig(host, port, "kiwerk-simulator"),
            speed=speed,
            faults=faults,
            gateway_size=gateway_size,
        )
        if write_config is not None:
            config = sim.line_config()
            if rul_model:
                config = dataclasses.replace(config, model=ModelConfig("industry-rul"))
            write_line_config(config, write_config)
            console.print(f"line config for the monitor: {write_config}")
        where = "line/gw-<k> (frames)" if gateway_size else "line/<machine>"
        console.print(
            f"{len(recs)} {source} machines → mqtt://{host}:{port}/{where}"
            f" at {speed or 'max'}× speed"
        )
        if delay > 0:
            console.print(f"waiting {delay:g} s for the monitor to subscribe")
            time.sleep(delay)
        report = sim.run(ticks=ticks, duration=duration)
    console.print(
        f"published {report.messages} messages in {report.ticks} ticks "
        f"({report.elapsed_s:.1f} s)"
    )
