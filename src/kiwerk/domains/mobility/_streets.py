"""A routable street graph for small delivery vehicles from an OSM PBF extract.

Rules for a small (e-cargo / autonomous) delivery vehicle:

- drives on ``primary`` … ``residential``, ``living_street``, ``service`` and
  ``unclassified`` roads; never on motorways/trunks, foot- or cycleways, paths,
  steps or tracks;
- enters a pedestrian zone (``highway=pedestrian``) or a road with
  ``access``/``motor_vehicle``/``vehicle`` = ``no``/``private`` only when the
  way allows ``delivery`` (or ``yes``/``destination``) for motor vehicles;
- honours ``oneway=yes|true|1|-1`` and roundabouts;
- drives at the posted ``maxspeed`` (or a default by road type) capped at the
  vehicle's top speed.

Only the largest strongly connected component is kept, so every node reaches
every other. Coordinates are WGS84; distances are metres.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiwerk.errors import DataFormatError

DRIVABLE = frozenset(
    {
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)
_DEFAULT_KMH = {"living_street": 7.0, "service": 15.0, "residential": 30.0}
_BLOCKED = {"no", "private"}
_DELIVERY_OK = {"yes", "delivery", "destination", "designated", "permissive"}
_EARTH_M = 6_371_000.0


@dataclass(frozen=True)
class VehicleRules:
    """The vehicle the graph is built for.

    Attributes
    ----------
    top_speed_kmh
        Never faster than this (small autonomous delivery vehicles: 25 km/h).
    """

    top_speed_kmh: float = 25.0

    def __post_init__(self) -> None:
        if self.top_speed_kmh <= 0:
            raise ValueError("Expected top_speed_kmh > 0.")


def way_allowed(tags: dict[str, str]) -> bool:
    """Whether a small delivery vehicle may use a way with these tags.

    Examples
    --------
    >>> way_allowed({"highway": "pedestrian"})
    False
    >>> way_allowed({"highway": "pedestrian", "motor_vehicle": "delivery"})
    True
    >>> way_allowed({"highway": "residential", "access": "private"})
    False
    """
    highway = tags.get("highway", "")
    if highway not in DRIVABLE and highway != "pedestrian":
        return False
    delivery = any(
        tags.get(key) in _DELIVERY_OK
        for key in ("delivery", "motor_vehicle", "vehicle", "motorcar")
    ) or tags.get("motor_vehicle:conditional", "").startswith("delivery")
    if highway == "pedestrian":
        return delivery
    blocked = any(
        tags.get(k) in _BLOCKED for k in ("access", "motor_vehicle", "vehicle")
    )
    return delivery or not blocked


def way_speed_kmh(tags: dict[str, str]) -> float:
    """Posted speed in km/h, or a default by road type (German urban rules)."""
    raw = tags.get("maxspeed", "").strip().lower()
    if raw in {"walk", "de:walk", "de:living_street"}:
        return 7.0
    if raw == "de:urban":
        return 50.0
    if raw == "de:zone30" or raw == "de:zone:30":
        return 30.0
    number = raw.split()[0] if raw else ""
    try:
        value = float(number)
        return value * 1.609 if "mph" in raw else value
    except ValueError:
        pass
    if tags.get("highway") == "pedestrian":
        return 7.0
    return _DEFAULT_KMH.get(tags.get("highway", ""), 50.0)


def oneway_direction(tags: dict[str, str]) -> int:
    """``1`` forward only, ``-1`` backward only, ``0`` both ways."""
    value = tags.get("oneway", "").lower()
    if value in {"yes", "true", "1"} or tags.get("junction") in {
        "roundabout",
        "circular",
    }:
        return 1
    if value == "-1":
        return -1
    return 0


def haversine_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in metres."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * _EARTH_M * np.arcsin(np.sqrt(a)))


@dataclass(frozen=True)
class StreetGraph:
    """Directed street graph (largest strongly connected component).

    Attributes
    ----------
    lat, lon
        Node coordinates (WGS84).
    osm_ids
        OSM node id of each node.
    src, dst
        Directed edges as node indices.
    length_m, time_s
        Edge length (metres) and travel time (seconds).
    addresses
        ``(lat, lon, label)`` of OSM address nodes (``addr:street`` +
        ``addr:housenumber``), for demo orders at real addresses.
    """

    lat: np.ndarray
    lon: np.ndarray
    osm_ids: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    addresses: tuple[tuple[float, float, str], ...] = ()

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.lat)

    def matrix(self, weight: str = "time_s") -> object:
        """Sparse ``(n, n)`` ``time_s`` or ``length_m`` (min over parallel edges)."""
        from scipy.sparse import coo_matrix

        values = getattr(self, weight).astype(np.float64)
        order = np.lexsort((values, self.dst, self.src))
        src, dst, val = self.src[order], self.dst[order], values[order]
        first = np.ones(len(src), dtype=bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        shape = (self.n_nodes, self.n_nodes)
        return coo_matrix((val[first], (src[first], dst[first])), shape=shape).tocsr()


def build_street_graph(path: Path, rules: VehicleRules | None = None) -> StreetGraph:
    """Read an ``.osm.pbf`` and build the delivery-vehicle graph.

    Raises
    ------
    DataFormatError
        The file cannot be read by libosmium or holds no drivable street.
    """
    import osmium  # the mobility extra

    rules = rules or VehicleRules()
    coords: dict[int, tuple[float, float]] = {}
    edges: list[tuple[int, int, float]] = []  # (from osm id, to osm id, km/h)
    addresses: list[tuple[float, float, str]] = []
    try:
        processor = osmium.FileProcessor(str(path)).with_locations()
        for item in processor:
            obj: Any = item
            if obj.is_node():
                node_tags = obj.tags
                if "addr:housenumber" in node_tags and "addr:street" in node_tags:
                    label = (
                        f"{node_tags['addr:street']} {node_tags['addr:housenumber']}"
                    )
                    addresses.append((obj.location.lat, obj.location.lon, label))
            elif obj.is_way():
                tags = {t.k: t.v for t in obj.tags}
                if "highway" not in tags or not way_allowed(tags):
                    continue
                kmh = min(way_speed_kmh(tags), rules.top_speed_kmh)
                direction = oneway_direction(tags)
                refs = [(n.ref, n.lat, n.lon) for n in obj.nodes if n.location.valid()]
                for ref, lat, lon in refs:
                    coords[ref] = (lat, lon)
                for (a, *_), (b, *_) in itertools.pairwise(refs):
                    if direction >= 0:
                        edges.append((a, b, kmh))
                    if direction <= 0:
                        edges.append((b, a, kmh))
    except RuntimeError as exc:
        raise DataFormatError(f"cannot read OSM data: {exc}", source=str(path)) from exc
    if not edges:
        raise DataFormatError("no drivable street in the extract", source=str(path))
    return _assemble(coords, edges, addresses)


def _assemble(
    coords: dict[int, tuple[float, float]],
    edges: list[tuple[int, int, float]],
    addresses: list[tuple[float, float, str]],
) -> StreetGraph:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ids = np.array(sorted(coords), dtype=np.int64)
    index = {int(i): k for k, i in enumerate(ids)}
    lat = np.array([coords[int(i)][0] for i in ids])
    lon = np.array([coords[int(i)][1] for i in ids])
    src = np.array([index[a] for a, _, _ in edges])
    dst = np.array([index[b] for _, b, _ in edges])
    kmh = np.array([s for _, _, s in edges])
    adjacency = coo_matrix((np.ones(len(src)), (src, dst)), shape=(len(ids), len(ids)))
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    keep = labels == np.bincount(labels).argmax()
    remap = np.full(len(ids), -1)
    remap[keep] = np.arange(int(keep.sum()))
    ok = keep[src] & keep[dst]
    src, dst, kmh = remap[src[ok]], remap[dst[ok]], kmh[ok]
    lat, lon, ids = lat[keep], lon[keep], ids[keep]
    length = haversine_m(lat[src], lon[src], lat[dst], lon[dst])
    return StreetGraph(
        lat=lat,
        lon=lon,
        osm_ids=ids,
        src=src,
        dst=dst,
        length_m=length,
        time_s=length / (kmh / 3.6),
        addresses=tuple(addresses),
    )
