"""Draw fleet tours on the street network: a PNG and a self-contained HTML map.

Tours follow the actual streets (shortest paths between consecutive stops).
The HTML holds the street geometry and the tours as inline SVG: no tiles, no
scripts from elsewhere, so it opens offline. Map data © OpenStreetMap
contributors (ODbL).
"""

from __future__ import annotations

import html
import itertools
from pathlib import Path

import numpy as np

from kiwerk.domains.mobility._fleet import FleetPlan, Tour
from kiwerk.domains.mobility._streets import StreetGraph

_COLOURS = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
    "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f",
)  # fmt: skip
ATTRIBUTION = "Map data © OpenStreetMap contributors (ODbL)"


def tour_paths(graph: StreetGraph, plan: FleetPlan) -> list[np.ndarray]:
    """Node sequence of each tour along the streets (hub → stops → hub)."""
    from scipy.sparse.csgraph import dijkstra

    matrix = graph.matrix("time_s")
    paths = []
    for tour in plan.tours:
        hub = plan.nodes[tour.hub]
        stops = [hub, *[s.node for s in tour.stops], hub]
        unique = np.array(sorted(set(stops)))
        _, pred = dijkstra(matrix, indices=unique, return_predecessors=True)
        row = {int(n): k for k, n in enumerate(unique)}
        nodes: list[int] = [stops[0]]
        for a, b in itertools.pairwise(stops):
            leg = [b]
            while leg[-1] != a and pred[row[a], leg[-1]] >= 0:
                leg.append(int(pred[row[a], leg[-1]]))
            nodes.extend(reversed(leg[:-1]))
        paths.append(np.asarray(nodes))
    return paths


def draw_tours_png(
    graph: StreetGraph, plan: FleetPlan, path: Path, title: str = ""
) -> Path:
    """Streets in grey, each tour in its colour, hubs as squares."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    fig, ax = plt.subplots(figsize=(11, 8))
    segments = np.stack(
        [
            np.column_stack([graph.lon[graph.src], graph.lat[graph.src]]),
            np.column_stack([graph.lon[graph.dst], graph.lat[graph.dst]]),
        ],
        axis=1,
    )
    ax.add_collection(LineCollection(list(segments), colors="0.82", linewidths=0.4))
    for k, (tour, nodes) in enumerate(
        zip(plan.tours, tour_paths(graph, plan), strict=True)
    ):
        colour = _COLOURS[k % len(_COLOURS)]
        ax.plot(
            graph.lon[nodes],
            graph.lat[nodes],
            color=colour,
            lw=1.6,
            label=f"vehicle {tour.vehicle} ({tour.hub}): {len(tour.stops)} stops",
        )
        stops = [s.node for s in tour.stops]
        ax.scatter(graph.lon[stops], graph.lat[stops], color=colour, s=10, zorder=3)
    for name, node in plan.nodes.items():
        if any(t.hub == name for t in plan.tours):
            ax.scatter(
                graph.lon[node],
                graph.lat[node],
                marker="s",
                s=90,
                color="black",
                zorder=4,
            )
    ax.set_aspect(1 / np.cos(np.deg2rad(float(np.mean(graph.lat)))))
    ax.autoscale()
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(title)
    ax.text(0.99, 0.01, ATTRIBUTION, transform=ax.transAxes, ha="right", fontsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def draw_tours_html(
    graph: StreetGraph, plan: FleetPlan, path: Path, title: str = ""
) -> Path:
    """A self-contained HTML page: streets and tours as inline SVG."""
    lon0, lon1 = float(graph.lon.min()), float(graph.lon.max())
    lat0, lat1 = float(graph.lat.min()), float(graph.lat.max())
    width = 1200.0
    aspect = (lat1 - lat0) / ((lon1 - lon0) * np.cos(np.deg2rad((lat0 + lat1) / 2)))
    height = width * aspect

    def xy(nodes: np.ndarray) -> str:
        x = (graph.lon[nodes] - lon0) / (lon1 - lon0) * width
        y = (lat1 - graph.lat[nodes]) / (lat1 - lat0) * height
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))

    pairs = sorted(
        {(min(a, b), max(a, b)) for a, b in zip(graph.src, graph.dst, strict=True)}
    )
    streets = "".join(f'<polyline points="{xy(np.array([a, b]))}"/>' for a, b in pairs)
    layers = []
    for k, (tour, nodes) in enumerate(
        zip(plan.tours, tour_paths(graph, plan), strict=True)
    ):
        colour = _COLOURS[k % len(_COLOURS)]
        label = html.escape(_label(tour))
        layers.append(
            f'<polyline class="tour" stroke="{colour}" points="{xy(nodes)}">'
            f"<title>{label}</title></polyline>"
        )
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>{html.escape(title)}</title><style>
svg {{background:#fafafa}} .streets polyline {{stroke:#ccc;stroke-width:0.6;fill:none}}
.tour {{stroke-width:2.5;fill:none;opacity:0.85}} .tour:hover {{stroke-width:5}}
</style></head><body><h3>{html.escape(title)}</h3>
<p>{plan.served} orders in {len(plan.tours)} tours, {plan.distance_m / 1000:.1f} km;
{len(plan.unserved)} not served. Hover a tour for its vehicle.</p>
<svg width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">
<g class="streets">{streets}</g>{"".join(layers)}</svg>
<p><small>{ATTRIBUTION}</small></p></body></html>"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _label(tour: Tour) -> str:
    stops = len(tour.stops)
    return f"vehicle {tour.vehicle} from {tour.hub}: {stops} stops, {tour.distance_m} m"
