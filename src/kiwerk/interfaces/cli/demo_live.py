"""The live part of ``kiwerk demo``: every pilot, a running line, the dashboard.

After the AI4I part of the demo, :func:`bring_up` makes the demo user owner
of the pilots' organisations (industry, health, mobility), trains the quick
versions of the RUL, X-ray and traffic-forecast pilots on the real datasets
(skipped where a version is registered already), records a signal-control
comparison on RESCO's cologne1 in SUMO, starts a local mosquitto with the
line simulator (C-MAPSS engines sending their cycle numbers, one of them
failing) and ``kiwerk monitor`` scoring the quick RUL model per engine, and
serves the API with the dashboard, printing the URL and a login.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

from kiwerk.core.auth import PasswordHasher, set_password
from kiwerk.core.data import Pool
from kiwerk.core.store import MetadataStore
from kiwerk.datasets import load_resco
from kiwerk.domains.industry.stream import (
    BrokerConfig,
    Fault,
    LineConfig,
    LineSimulator,
    LocalBroker,
    ModelConfig,
    ModelScorer,
    cmapss_recordings,
    load_stream_model,
    run_monitor,
    write_line_config,
)
from kiwerk.domains.mobility import (
    SignalParams,
    record_signal_results,
    run_episode,
    signal_results_path,
)
from kiwerk.domains.mobility._signals import CONTROLLERS
from kiwerk.interfaces.cli import pilots
from kiwerk.settings import Settings

ORGS = ("industry", "health", "mobility")
QUICK_PILOTS = ("industry-rul", "health-xray", "mobility-forecast")
SIGNAL_SCENARIO = "cologne1"


def join_pilot_orgs(pool: Pool, user: str) -> None:
    """Make ``user`` owner of the pilots' organisations (created if absent)."""
    existing = {o["name"]: o["members"] for o in pool.organisations()}
    for org in ORGS:
        if org not in existing:
            pool.create_organisation(org, actor=user)
            pool.add_user(user, org=org, role="owner", actor=user)


def train_quick_pilots(settings: Settings, console: Console) -> None:
    """Train each quick pilot that has no registered version yet."""
    registry = pilots.model_registry(settings)
    trained = set(registry.names())
    for name in QUICK_PILOTS:
        if name in trained:
            console.print(f"{name}: registered already")
            continue
        console.rule(f"pilot: {name} (quick)")
        pilots.train(name, quick=True)


def record_signals(settings: Settings, console: Console) -> None:
    """Run fixed-time, max-pressure and kiwerk's controller on cologne1."""
    resco = load_resco(directory=settings.data / "sumo/resco")
    scenario = resco[SIGNAL_SCENARIO]
    with console.status(f"SUMO: three controllers on {SIGNAL_SCENARIO}"):
        runs = [run_episode(scenario, c, SignalParams()) for c in CONTROLLERS]
    rows = record_signal_results(
        runs, scenario.end - scenario.begin, signal_results_path(settings.home)
    )
    for row in rows:
        console.print(
            f"{row['scenario']} {row['controller']}: {row['delay_s']:.1f} s delay"
        )


def rul_scorer(settings: Settings, line: LineConfig) -> ModelScorer | None:
    """The line's RUL model: production version, else the newest (or none)."""
    if line.model is None:
        return None
    pilot = pilots.pilot_catalog().get(line.model.pilot)
    registry = pilots.model_registry(settings)
    served = load_stream_model(pilot, registry, line.model.ref) or load_stream_model(
        pilot, registry, "latest"
    )
    if served is None:
        return None
    sensors = [list(m.sensors) for m in line.machines]
    return ModelScorer(served, line.machine_names(), sensors, line.model.params)


@contextlib.contextmanager
def running_line(
    settings: Settings, folder: Path, machines: int
) -> Iterator[tuple[Path, LocalBroker, bool]]:
    """Mosquitto, the simulator and the monitor, running until the block ends.

    Yields the line configuration (for the API's feed), the broker and
    whether a RUL model is scored: the monitor scores the registered
    ``industry-rul`` model per engine when there is one (the demo trains its
    quick version), so the live page shows each engine's RUL with its
    interval.
    """
    recordings = cmapss_recordings(
        settings.data / "cmapss", n_machines=machines, model_inputs=True
    )
    stop = threading.Event()
    with LocalBroker(folder / "broker") as broker:
        sim = LineSimulator(
            recordings,
            BrokerConfig("127.0.0.1", broker.port, "kiwerk-demo-simulator"),
            speed=1.0,
            faults=(Fault(machine=min(2, machines - 1), tick=260, size=8.0),),
        )
        line = dataclasses.replace(
            sim.line_config("kiwerk-demo-monitor"), model=ModelConfig("industry-rul")
        )
        config = folder / "line.toml"
        write_line_config(line, config)
        ready = threading.Event()
        model = rul_scorer(settings, line)
        monitor = threading.Thread(
            target=run_monitor,
            args=(line, folder / "readings"),
            kwargs={"stop": stop, "ready": ready, "model": model},
            name="kiwerk-demo-monitor",
            daemon=True,
        )
        monitor.start()
        ready.wait(15)
        simulator = threading.Thread(
            target=sim.run, kwargs={"stop": stop}, name="kiwerk-demo-line", daemon=True
        )
        simulator.start()
        try:
            yield config, broker, model is not None
        finally:
            stop.set()
            simulator.join(timeout=30)
            monitor.join(timeout=30)


def demo_login(settings: Settings, pool: Pool) -> str:
    """A fresh random password for the demo user (printed, never stored in clear)."""
    password = secrets.token_urlsafe(9)
    store = MetadataStore.open(settings.metadata_url)
    try:
        set_password(
            pool, store, PasswordHasher(), user=settings.user, password=password
        )
    finally:
        store.close()
    return password


def bring_up(
    settings: Settings,
    pool: Pool,
    console: Console,
    *,
    host: str,
    port: int,
    duration: float | None,
    machines: int,
    train: bool = True,
) -> None:
    """Train, start the line and serve the dashboard until Ctrl-C or ``duration``."""
    import uvicorn

    from kiwerk.interfaces.api import create_app

    join_pilot_orgs(pool, settings.user)
    if train:
        train_quick_pilots(settings, console)
    record_signals(settings, console)
    password = demo_login(settings, pool)
    with (
        tempfile.TemporaryDirectory(prefix="kiwerk-demo-") as tmp,
        running_line(settings, Path(tmp), machines) as (config, broker, rul),
    ):
        live = settings.model_copy(update={"line_config": config, "line_org": ORGS[0]})
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(live), host=host, port=port, log_level="warning", ws="none"
            )
        )
        console.rule("kiwerk is up")
        console.print(
            f"dashboard: [bold]http://{host}:{port}/ui/[/]  (API docs at /docs)\n"
            f"log in as [bold]{settings.user}[/] with password [bold]{password}[/]\n"
            f"live line: {machines} C-MAPSS engines on mqtt://127.0.0.1:{broker.port}"
            f" (engine-{min(3, machines):03d} starts failing after 260 s)"
            + (", each with its RUL and 90 % interval" if rul else "")
            + "; "
            "organisations: industry (live line, fleet RUL), health (X-ray), "
            "mobility, demo-works"
        )
        if duration is not None:
            threading.Timer(
                duration, lambda: setattr(server, "should_exit", True)
            ).start()
        started = time.monotonic()
        server.run()
        console.print(f"stopped after {time.monotonic() - started:.0f} s")


__all__ = [
    "ORGS",
    "QUICK_PILOTS",
    "bring_up",
    "demo_login",
    "join_pilot_orgs",
    "record_signals",
    "rul_scorer",
    "running_line",
    "train_quick_pilots",
]
