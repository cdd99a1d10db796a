"""Every real file verified, every dataset loaded once (slow: real data).

The expected figures are the counts each folder's SOURCE.md reports.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiwerk.datasets import (
    load_ai4i,
    load_cmapss,
    load_cvrplib_x,
    load_cwru,
    load_dicom_samples,
    load_los_loop,
    load_metr_la_graph,
    load_osm_aachen,
    load_pneumoniamnist,
    load_resco,
    load_skab,
    load_solomon,
    locate,
    registry,
    verify_dataset,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", list(registry()))
def test_real_files_match_registry(data_dir: Path, name: str) -> None:
    """Every file of the dataset hashes to its registered sha256 (no cache)."""
    report = verify_dataset(name, data_dir)
    bad = [(s.file.path, s.state.value) for s in report.files if s.state.value != "ok"]
    assert bad == []


def test_load_cmapss_and_ai4i(data_dir: Path, tmp_path: Path) -> None:
    """C-MAPSS FD001 and AI4I load through locate with SOURCE.md's counts."""
    fd = load_cmapss("FD001", directory=locate("cmapss", data_dir, cache_dir=tmp_path))
    assert (len(fd.train), fd.train["unit"].nunique(), len(fd.rul)) == (20631, 100, 100)
    ai4i = load_ai4i(directory=locate("ai4i2020", data_dir, cache_dir=tmp_path))
    assert (len(ai4i), int(ai4i["Machine failure"].sum())) == (10000, 339)


def test_load_skab(data_dir: Path) -> None:
    """SKAB: 35 files, 46,806 rows, 13,067 anomalous and 129 changepoint rows."""
    groups = load_skab(directory=data_dir / "skab")
    experiments = [e for group in groups.values() for e in group]
    assert {g: len(e) for g, e in groups.items()} == {
        "anomaly-free": 1,
        "valve1": 16,
        "valve2": 4,
        "other": 14,
    }
    assert sum(len(e.signals) for e in experiments) == 46806
    assert (
        sum(int(e.anomaly.sum()) for e in experiments if e.anomaly is not None) == 13067
    )
    assert (
        sum(int(e.changepoint.sum()) for e in experiments if e.changepoint is not None)
        == 129
    )


def test_load_cwru(data_dir: Path) -> None:
    """CWRU: 10 records, 10 distinct labels, the reported signal lengths."""
    records = load_cwru(directory=data_dir / "cwru")
    assert len({r.label for r in records}) == 10
    lengths = {r.number: len(r.drive_end) for r in records}
    assert (lengths[97], lengths[105]) == (243938, 121265)
    assert all(np.isfinite(r.drive_end).all() for r in records)


def test_load_pneumoniamnist(data_dir: Path) -> None:
    """PneumoniaMNIST: 4708/524/624 images; 3494 pneumonia in train."""
    data = load_pneumoniamnist(directory=data_dir / "medmnist")
    assert (len(data.train), len(data.val), len(data.test)) == (4708, 524, 624)
    assert int(data.train.labels.sum()) == 3494


def test_load_dicom_samples(data_dir: Path) -> None:
    """All seven DICOM samples carry the DICOM markers."""
    assert len(load_dicom_samples(directory=data_dir / "dicom")) == 7


def test_load_traffic(data_dir: Path) -> None:
    """Los-loop and METR-LA share the sensor order; los_adj = max(A, A.T)."""
    loop = load_los_loop(directory=data_dir / "traffic" / "los_loop")
    graph = load_metr_la_graph(directory=data_dir / "traffic" / "metr_la_graph")
    assert loop.speed.shape == (2016, 207)
    assert loop.sensor_ids == graph.sensor_ids
    assert int(np.count_nonzero(graph.adjacency)) == 1722
    np.testing.assert_allclose(
        loop.adjacency, np.maximum(graph.adjacency, graph.adjacency.T), atol=1e-6
    )


def test_load_vrp(data_dir: Path) -> None:
    """100 X instances and 56 Solomon instances load; BKS routes cover customers."""
    x = load_cvrplib_x(directory=data_dir / "vrp" / "cvrplib_x")
    solomon = load_solomon(directory=data_dir / "vrp" / "solomon")
    assert (len(x), len(solomon)) == (100, 56)
    for inst in (x[0], x[-1], solomon[0]):
        visited = sorted(c for route in inst.bks_routes for c in route)
        assert visited == list(range(1, inst.n_customers + 1))
        assert all(
            inst.demands[list(r)].sum() <= inst.capacity for r in inst.bks_routes
        )
    assert {i.group for i in solomon} == {"C1", "C2", "R1", "R2", "RC1", "RC2"}


def test_load_osm_and_sumo(data_dir: Path) -> None:
    """Aachen's header box and the eight RESCO scenarios' windows."""
    osm = load_osm_aachen(directory=data_dir / "osm" / "aachen")
    assert osm.bbox == pytest.approx((6.0260, 50.7451, 6.1479, 50.7941), abs=1e-4)
    assert osm.replication_timestamp is not None
    assert osm.replication_timestamp.isoformat() == "2021-08-01T23:59:58+00:00"
    resco = load_resco(directory=data_dir / "sumo" / "resco")
    assert len(resco) == 8
    assert (resco["cologne1"].begin, resco["ingolstadt21"].end) == (25200, 61200)
    assert all(s.duration == 3600 for s in resco.values())
