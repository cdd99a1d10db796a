"""The Aachen delivery demo as data: its orders, its hubs and GeoJSON of a plan.

:func:`demo_orders` draws parcels at real OSM addresses (a third with a
two-hour window, the rest all day), as ``kiwerk mobility routes aachen`` and
the dashboard both use. :func:`plan_geojson` turns a plan into GeoJSON for
drawing without map tiles: the street network itself (each street segment
once, cropped to the plan's surroundings), each tour along the streets, the
stops and the hubs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kiwerk.domains.mobility._fleet import FleetPlan, Hub, Order
from kiwerk.domains.mobility._fleet_draw import ATTRIBUTION, tour_paths
from kiwerk.domains.mobility._streets import StreetGraph

AACHEN_HUBS = (Hub("Hub West", 50.7780, 6.0600), Hub("Hub Ost", 50.7700, 6.1100))


def demo_orders(graph: StreetGraph, parcels: int, seed: int) -> list[Order]:
    """``parcels`` orders at distinct OSM addresses of ``graph``, reproducibly.

    Raises
    ------
    ValueError
        When ``parcels`` is below 1 or the extract has no addresses.
    """
    if parcels < 1:
        raise ValueError(f"Expected parcels >= 1, got {parcels}.")
    if not graph.addresses:
        raise ValueError("The street graph has no OSM addresses to deliver to.")
    rng = np.random.default_rng(seed)
    picks = rng.choice(
        len(graph.addresses), size=min(parcels, len(graph.addresses)), replace=False
    )
    orders = []
    for k, i in enumerate(picks):
        lat, lon, _ = graph.addresses[int(i)]
        early = int(rng.choice([9, 11, 13, 15])) * 3600 if k % 3 == 0 else 8 * 3600
        late = early + 2 * 3600 if k % 3 == 0 else 18 * 3600
        orders.append(
            Order(
                id=f"P{k:03d}",
                lat=lat,
                lon=lon,
                demand=int(rng.integers(1, 4)),
                tw_early=early,
                tw_late=late,
            )
        )
    return orders


def _point(lon: float, lat: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": props,
    }


def plan_geojson(
    graph: StreetGraph,
    plan: FleetPlan,
    hubs: tuple[Hub, ...] | list[Hub],
    *,
    margin_deg: float = 0.005,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: streets, tours, stops and hubs.

    Streets are one ``MultiLineString`` (kind ``streets``) of the segments
    inside the plan's bounding box widened by ``margin_deg``; each tour is a
    ``LineString`` (kind ``tour``) along its shortest street paths.
    """
    paths = tour_paths(graph, plan)
    used = np.concatenate([*paths, np.array(list(plan.nodes.values()), int)])
    lat0, lat1 = graph.lat[used].min() - margin_deg, graph.lat[used].max() + margin_deg
    lon0, lon1 = graph.lon[used].min() - margin_deg, graph.lon[used].max() + margin_deg
    a, b = np.minimum(graph.src, graph.dst), np.maximum(graph.src, graph.dst)
    pairs = np.unique(np.stack([a, b], axis=1), axis=0)
    inside = (
        (graph.lat[pairs] >= lat0).all(axis=1)
        & (graph.lat[pairs] <= lat1).all(axis=1)
        & (graph.lon[pairs] >= lon0).all(axis=1)
        & (graph.lon[pairs] <= lon1).all(axis=1)
    )
    lon_r, lat_r = np.round(graph.lon, 5), np.round(graph.lat, 5)
    streets = [
        [[lon_r[u], lat_r[u]], [lon_r[v], lat_r[v]]] for u, v in pairs[inside].tolist()
    ]
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "MultiLineString", "coordinates": streets},
            "properties": {"kind": "streets"},
        }
    ]
    for tour, path in zip(plan.tours, paths, strict=True):
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[lon_r[n], lat_r[n]] for n in path.tolist()],
                },
                "properties": {
                    "kind": "tour",
                    "vehicle": tour.vehicle,
                    "hub": tour.hub,
                    "stops": len(tour.stops),
                    "distance_m": tour.distance_m,
                    "start_s": tour.start_s,
                    "end_s": tour.end_s,
                },
            }
        )
        for stop in tour.stops:
            n = stop.node
            features.append(
                _point(
                    float(graph.lon[n]),
                    float(graph.lat[n]),
                    kind="stop",
                    order=stop.order,
                    vehicle=tour.vehicle,
                    arrival_s=stop.arrival_s,
                )
            )
    features += [_point(h.lon, h.lat, kind="hub", name=h.name) for h in hubs]
    return {
        "type": "FeatureCollection",
        "bbox": [float(lon0), float(lat0), float(lon1), float(lat1)],
        "features": features,
        "properties": {
            "served": plan.served,
            "unserved": plan.unserved,
            "distance_m": plan.distance_m,
            "solve_s": plan.solve_s,
            "attribution": ATTRIBUTION,
        },
    }


__all__ = ["AACHEN_HUBS", "demo_orders", "plan_geojson"]
