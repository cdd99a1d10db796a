"""``kiwerk mobility``: traffic forecasts, signal control in SUMO, fleet routing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from kiwerk.datasets import load_los_loop, load_resco
from kiwerk.domains.mobility import (
    AACHEN_HUBS,
    FleetParams,
    SignalParams,
    build_street_graph,
    demo_orders,
    draw_tours_html,
    draw_tours_png,
    evaluate_traffic,
    plan_routes,
    record_signal_results,
    run_episode,
    series_from_los_loop,
    signal_results_path,
)
from kiwerk.domains.mobility._signals import CONTROLLERS, plot_queues
from kiwerk.errors import NotFound
from kiwerk.settings import get_settings

app = typer.Typer(
    help="Mobility pilots: traffic, signals, routing.", no_args_is_help=True
)
signals = typer.Typer(
    help="Traffic-signal control in SUMO (RESCO maps).", no_args_is_help=True
)
traffic = typer.Typer(
    help="Traffic-speed forecasting (Los-loop).", no_args_is_help=True
)
routes = typer.Typer(
    help="Delivery-fleet routing on OSM streets.", no_args_is_help=True
)
app.add_typer(signals, name="signals")
app.add_typer(traffic, name="traffic")
app.add_typer(routes, name="routes")
console = Console()


@signals.command("run")
def signals_run(
    scenario: Annotated[
        str, typer.Option(help="RESCO map, e.g. cologne8.")
    ] = "cologne8",
    controller: Annotated[
        str, typer.Option(help="fixed, max_pressure or adaptive.")
    ] = "adaptive",
    seeds: Annotated[int, typer.Option(min=1, help="Seeds to average.")] = 1,
    duration: Annotated[
        int | None, typer.Option(help="Seconds (default: RESCO's episode).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for the time-series plot.")] = Path(
        "."
    ),
) -> None:
    """Run the controller and the baselines; print RESCO's average delay."""
    if controller not in CONTROLLERS:
        raise typer.BadParameter(f"choose one of {', '.join(CONTROLLERS)}")
    resco = load_resco(directory=get_settings().data / "sumo/resco")
    if scenario not in resco:
        raise NotFound(f"unknown scenario {scenario!r}; known: {', '.join(resco)}")
    table = Table(title=f"{scenario}: average trip delay (RESCO), {seeds} seed(s)")
    for column in ("controller", "delay s", "± s", "vehicles"):
        table.add_column(column)
    firsts, every = [], []
    order = [c for c in CONTROLLERS if c != controller] + [controller]
    for name in order:
        with console.status(f"simulating {name}"):
            runs = [
                run_episode(
                    resco[scenario],
                    name,
                    SignalParams.for_map(scenario, seed=s, duration_s=duration),
                )
                for s in range(seeds)
            ]
        delays = [r.delay_s for r in runs]
        firsts.append(runs[0])
        every += runs
        table.add_row(
            name,
            f"{np.mean(delays):.1f}",
            f"{np.std(delays):.1f}",
            str(runs[0].vehicles),
        )
    console.print(table)
    settings = get_settings()
    length = duration or resco[scenario].end - resco[scenario].begin
    record_signal_results(every, length, signal_results_path(settings.home))
    path = plot_queues(firsts, out / f"signals_{scenario}_{controller}.png")
    console.print(f"time series: {path}")


@traffic.command("evaluate")
def traffic_evaluate(
    gbm: Annotated[bool, typer.Option(help="Include the LightGBM baseline.")] = True,
) -> None:
    """T-GCN protocol on Los-loop: every model's RMSE/MAE at 15–60 minutes."""
    data = load_los_loop(directory=get_settings().data / "traffic/los_loop")
    report, _ = evaluate_traffic(
        series_from_los_loop(data), include_gbm=gbm, progress=console.log
    )
    table = Table(title="Los-loop, T-GCN protocol (RMSE / MAE, mph)")
    table.add_column("model")
    for minutes in (15, 30, 45, 60):
        table.add_column(f"{minutes} min")
    for name, rows in report.metrics.items():
        table.add_row(
            name, *(f"{v['rmse']:.3f} / {v['mae']:.3f}" for v in rows.values())
        )
    console.print(table)
    console.print(f"chosen on the validation tail: {report.chosen}")


@routes.command("aachen")
def routes_aachen(
    parcels: Annotated[
        int, typer.Option(min=1, help="Parcels at OSM addresses.")
    ] = 200,
    seconds: Annotated[float, typer.Option(help="Solver time limit.")] = 20.0,
    seed: Annotated[int, typer.Option(help="Seed for the parcels.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for PNG and HTML maps.")] = Path(
        "."
    ),
) -> None:
    """Plan the Aachen delivery demo (2 hubs, 10 vehicles) and draw it."""
    with console.status("building the Aachen street graph"):
        graph = build_street_graph(get_settings().data / "osm/aachen/aachen.osm.pbf")
    orders = demo_orders(graph, parcels, seed)
    hubs = list(AACHEN_HUBS)
    with console.status("solving with PyVRP"):
        plan = plan_routes(graph, hubs, orders, FleetParams(seconds=seconds))
    table = Table(
        title=f"{plan.served}/{len(orders)} parcels, {plan.distance_m / 1000:.1f} km"
    )
    for column in ("vehicle", "hub", "stops", "km", "start", "end"):
        table.add_column(column)
    for t in plan.tours:
        table.add_row(
            str(t.vehicle),
            t.hub,
            str(len(t.stops)),
            f"{t.distance_m / 1000:.1f}",
            f"{t.start_s // 3600:02d}:{t.start_s % 3600 // 60:02d}",
            f"{t.end_s // 3600:02d}:{t.end_s % 3600 // 60:02d}",
        )
    console.print(table)
    for order_id, reason in plan.unserved.items():
        console.print(f"[yellow]not served[/] {order_id}: {reason}")
    png = draw_tours_png(graph, plan, out / "aachen_tours.png", "Aachen delivery tours")
    page = draw_tours_html(
        graph, plan, out / "aachen_tours.html", "Aachen delivery tours"
    )
    console.print(f"maps: {png}, {page}")
