"""Traffic, VRP, OSM and SUMO loaders on tiny fixtures."""

from __future__ import annotations

import os
import pickle
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from kiwerk.datasets import (
    load_cvrplib_x,
    load_los_loop,
    load_metr_la_graph,
    load_resco,
    load_solomon,
    read_adj_pickle,
    read_osm_header,
    read_sumocfg,
)
from kiwerk.errors import DataFormatError, NotFound

IDS = ["773869", "767541", "767542"]


def test_los_loop_speed_has_time_index_and_sensor_columns(tmp_path: Path) -> None:
    """Speeds get a 5-minute index from 2012-03-01; columns are sensor ids."""
    (tmp_path / "los_speed.csv").write_text(
        ",".join(IDS) + "\n" + "\n".join(["64.4,67.6,67.1"] * 4) + "\n"
    )
    (tmp_path / "los_adj.csv").write_text("1,0,0.5\n0,1,0\n0.5,0,1\n")
    data = load_los_loop(directory=tmp_path)
    assert data.speed.shape == (4, 3)
    assert data.sensor_ids == tuple(IDS)
    assert str(data.speed.index[1]) == "2012-03-01 00:05:00"
    assert data.adjacency[0, 2] == 0.5


def test_los_loop_adjacency_must_fit_sensors(tmp_path: Path) -> None:
    """An adjacency of the wrong size is refused, naming the file."""
    (tmp_path / "los_speed.csv").write_text(",".join(IDS) + "\n1,2,3\n")
    (tmp_path / "los_adj.csv").write_text("1,0\n0,1\n")
    with pytest.raises(DataFormatError, match=r"los_adj\.csv.*\(3, 3\)"):
        load_los_loop(directory=tmp_path)


def _graph_dir(tmp_path: Path, ids: list[str]) -> Path:
    adjacency = np.eye(3, dtype=np.float32)
    adjacency[0, 1] = 0.4
    with (tmp_path / "adj_mx.pkl").open("wb") as out:
        pickle.dump(
            [IDS, {s: i for i, s in enumerate(IDS)}, adjacency], out, protocol=2
        )
    rows = [f"{i},{s},34.1{i},-118.3{i}" for i, s in enumerate(ids)]
    (tmp_path / "graph_sensor_locations.csv").write_text(
        "index,sensor_id,latitude,longitude\n" + "\n".join(rows) + "\n"
    )
    return tmp_path


def test_metr_la_graph_reads_pickle_and_locations(tmp_path: Path) -> None:
    """The pickle's ids, directed adjacency and the locations line up."""
    graph = load_metr_la_graph(directory=_graph_dir(tmp_path, IDS))
    assert graph.sensor_ids == tuple(IDS)
    assert graph.adjacency.dtype == np.float32
    assert graph.adjacency[0, 1] == pytest.approx(0.4)
    assert graph.adjacency[1, 0] == 0.0
    assert graph.locations["latitude"].iloc[2] == pytest.approx(34.12)


def test_metr_la_graph_order_mismatch_names_line(tmp_path: Path) -> None:
    """Locations in another order than the pickle name the first bad line."""
    folder = _graph_dir(tmp_path, [IDS[0], IDS[2], IDS[1]])
    with pytest.raises(DataFormatError, match="line 3"):
        load_metr_la_graph(directory=folder)


class _Evil:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (str(self.target),)


def test_pickle_with_code_is_refused_without_running(tmp_path: Path) -> None:
    """A pickle that would call a function is refused and nothing runs."""
    marker = tmp_path / "pwned"
    path = tmp_path / "adj_mx.pkl"
    path.write_bytes(pickle.dumps([IDS, {}, _Evil(marker)], protocol=2))
    with pytest.raises(DataFormatError, match="not allowed"):
        read_adj_pickle(path)
    assert not marker.exists()


CVRP = (
    "NAME : \tT-n4-k2\t\n"
    "TYPE : \tCVRP\t\n"
    "DIMENSION : \t4\t\n"
    "EDGE_WEIGHT_TYPE : \tEUC_2D\t\n"
    "CAPACITY : \t10\t\n"
    "NODE_COORD_SECTION\n1 0 0\n2 0 3\n3 4 0\n4 4 3\n"
    "DEMAND_SECTION\n1 0\n2 5\n3 5\n4 4\n"
    "DEPOT_SECTION\n1\n-1\n"
    "EOF\n"
)


@pytest.fixture
def cvrp_dir(tmp_path: Path) -> Path:
    """One 3-customer CVRP instance, its solution and bks.csv."""
    (tmp_path / "T-n4-k2.vrp").write_text(CVRP)
    (tmp_path / "T-n4-k2.sol").write_text("Route #1: 1 3\nRoute #2: 2\nCost 16\n")
    (tmp_path / "bks.csv").write_text(
        "instance,n_customers,capacity,k_in_name,bks_routes,bks_cost\n"
        "T-n4-k2,3,10,2,2,16\n"
    )
    return tmp_path


def test_cvrp_instance_uses_zero_based_nodes(cvrp_dir: Path) -> None:
    """Coordinates, demands and routes share 0-based indices, depot 0."""
    (inst,) = load_cvrplib_x(directory=cvrp_dir)
    assert inst.n_customers == 3
    assert inst.capacity == 10
    assert inst.coords[2].tolist() == [4.0, 0.0]
    assert inst.bks_routes == ((1, 3), (2,))
    assert sum(int(inst.demands[c]) for c in inst.bks_routes[0]) == 9
    assert inst.time_windows is None


def test_cvrp_cost_must_match_bks(cvrp_dir: Path) -> None:
    """A solution cost that differs from bks.csv names the .sol file."""
    (cvrp_dir / "T-n4-k2.sol").write_text("Route #1: 1 2 3\nCost 17\n")
    with pytest.raises(DataFormatError, match=r"T-n4-k2\.sol"):
        load_cvrplib_x(directory=cvrp_dir)


def test_unknown_instance_is_not_found(cvrp_dir: Path) -> None:
    """Asking for an instance not in bks.csv raises NotFound."""
    with pytest.raises(NotFound, match="X-n9"):
        load_cvrplib_x(directory=cvrp_dir, names=["X-n9"])


def test_solomon_instance_has_time_windows(tmp_path: Path) -> None:
    """VRPTW instances carry time windows, service times (0 at depot), vehicles."""
    folder = tmp_path / "vrplib"
    folder.mkdir()
    text = CVRP.replace("CVRP", "CVRPTW").replace(
        "CAPACITY : \t10\t\n", "VEHICLES : 25\nCAPACITY : \t10\t\nSERVICE_TIME : 90\n"
    )
    text = text.replace(
        "DEPOT_SECTION",
        "TIME_WINDOW_SECTION\n1 0 1236\n2 912 967\n3 0 1000\n4 5 50\nDEPOT_SECTION",
    )
    (folder / "T1.vrp").write_text(text)
    (folder / "T1.sol").write_text("Route #1: 1 3\nRoute #2: 2\nCost 16.0\n")
    (tmp_path / "bks.csv").write_text(
        "instance,group,n_customers,capacity,max_vehicles,bks_routes,bks_distance\n"
        "T1,C1,3,10,25,2,16.0\n"
    )
    (inst,) = load_solomon(directory=tmp_path)
    assert inst.group == "C1"
    assert inst.vehicles == 25
    assert inst.time_windows is not None
    assert inst.service_times is not None
    assert inst.time_windows[1].tolist() == [912.0, 967.0]
    assert inst.service_times.tolist() == [0.0, 90.0, 90.0, 90.0]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(number: int, value: int | bytes) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _pbf(bbox: tuple[float, float, float, float], stamp: int) -> bytes:
    left, bottom, right, top = (_zigzag(round(v * 1e9)) for v in bbox)
    box = _field(1, left) + _field(2, right) + _field(3, top) + _field(4, bottom)
    header = (
        _field(1, box)
        + _field(4, b"OsmSchema-V0.6")
        + _field(4, b"DenseNodes")
        + _field(16, b"test-writer")
        + _field(32, stamp)
    )
    blob = _field(2, len(header)) + _field(3, zlib.compress(header))
    blob_header = _field(1, b"OSMHeader") + _field(3, len(blob))
    return struct.pack(">I", len(blob_header)) + blob_header + blob


def test_osm_header_gives_bbox_and_timestamp(tmp_path: Path) -> None:
    """The PBF header's box (with a negative longitude), date and features decode."""
    path = tmp_path / "x.osm.pbf"
    path.write_bytes(_pbf((-6.026, 50.7451, 6.1479, 50.7941), 1627862398))
    osm = read_osm_header(path)
    assert osm.bbox == pytest.approx((-6.026, 50.7451, 6.1479, 50.7941))
    assert osm.replication_timestamp == datetime(2021, 8, 1, 23, 59, 58, tzinfo=UTC)
    assert osm.required_features == ("OsmSchema-V0.6", "DenseNodes")
    assert osm.writing_program == "test-writer"


def test_non_pbf_file_is_refused(tmp_path: Path) -> None:
    """A file that is not a PBF names itself."""
    path = tmp_path / "x.osm.pbf"
    path.write_bytes(b"<?xml version='1.0'?><osm></osm>")
    with pytest.raises(DataFormatError, match=r"x\.osm\.pbf.*not an OSM PBF"):
        read_osm_header(path)


def _scenario(folder: Path, name: str, begin: int, end: int) -> Path:
    folder.mkdir(parents=True)
    (folder / f"{name}.net.xml").write_text("<net/>")
    (folder / f"{name}.rou.xml").write_text("<routes/>")
    cfg = folder / f"{name}.sumocfg"
    cfg.write_text(
        f'<configuration><input><net-file value="{name}.net.xml"/>'
        f'<route-files value="{name}.rou.xml"/></input><time>'
        f'<begin value="{begin}"/><end value="{end}"/></time></configuration>'
    )
    return cfg


def test_sumocfg_resolves_files_and_window(tmp_path: Path) -> None:
    """Net and route paths are resolved beside the cfg; the window is read."""
    scenario = read_sumocfg(_scenario(tmp_path / "cologne1", "cologne1", 25200, 28800))
    assert scenario.net == tmp_path / "cologne1" / "cologne1.net.xml"
    assert scenario.routes == (tmp_path / "cologne1" / "cologne1.rou.xml",)
    assert scenario.duration == 3600
    assert "CC BY-NC-SA" in scenario.license


def test_sumocfg_missing_route_file_is_named(tmp_path: Path) -> None:
    """A cfg pointing at an absent route file names it."""
    cfg = _scenario(tmp_path / "grid4x4", "grid4x4", 0, 3600)
    (tmp_path / "grid4x4" / "grid4x4.rou.xml").unlink()
    with pytest.raises(DataFormatError, match=r"grid4x4\.rou\.xml"):
        read_sumocfg(cfg)


def test_sumocfg_empty_window_is_refused(tmp_path: Path) -> None:
    """An end time not after the begin time is a format error."""
    cfg = _scenario(tmp_path / "c", "c", 3600, 3600)
    with pytest.raises(DataFormatError, match="not after begin"):
        read_sumocfg(cfg)


def test_resco_loads_all_eight_scenarios(tmp_path: Path) -> None:
    """load_resco returns the eight RESCO scenarios by name."""
    names = [
        "cologne1", "cologne3", "cologne8", "ingolstadt1",
        "ingolstadt7", "ingolstadt21", "grid4x4", "arterial4x4",
    ]  # fmt: skip
    for name in names:
        _scenario(tmp_path / name, name, 57600, 61200)
    resco = load_resco(directory=tmp_path)
    assert list(resco) == names
    assert "GPL" in resco["ingolstadt7"].license
