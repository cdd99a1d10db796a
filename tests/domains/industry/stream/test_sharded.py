"""The stream scorer sharded by machine equals one scorer, in-process and on Ray."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiwerk.core.scale import RayParams, ShardParams
from kiwerk.domains.industry.stream import (
    AlertRouter,
    BrokerConfig,
    Fault,
    LineMonitor,
    LineSimulator,
    MonitorParams,
    ParquetSink,
    Recording,
    ShardedStreamScorer,
    StreamScorer,
    skab_recordings,
)
from kiwerk.errors import DataFormatError
from tests.domains.industry.stream.test_live import recordings

PARAMS = MonitorParams()

Scorer = StreamScorer | ShardedStreamScorer


def replay(
    recs: list[Recording], scorer: Scorer, ticks: int = 50
) -> dict[int, dict[str, Any]]:
    """Feed the recordings interleaved, ``ticks`` rows per machine a batch.

    Returns per machine its scores, alarms and events in the order given.
    """
    out: dict[int, dict[str, Any]] = {
        m: {"score": [], "alarm": [], "events": []} for m in range(len(recs))
    }
    longest = max(len(r.values) for r in recs)
    for start in range(0, longest, ticks):
        ms, ts, xs = [], [], []
        for tick in range(start, min(start + ticks, longest)):
            for m, rec in enumerate(recs):
                if tick < len(rec.values):
                    ms.append(m)
                    ts.append(1e9 + tick * rec.dt)
                    xs.append(rec.values[tick])
        machines = np.array(ms, np.intp)
        res = scorer.score(machines, np.array(ts), np.array(xs))
        for m in range(len(recs)):
            sel = machines == m
            out[m]["score"].append(res.score[sel])
            out[m]["alarm"].append(res.alarm[sel])
        for ev in res.events:
            out[ev.machine]["events"].append(
                (
                    ev.ts,
                    ev.kind,
                    ev.score,
                    ev.threshold,
                    ev.sensor,
                    ev.shift,
                    *ev.contributions.tolist(),
                )
            )
    return out


def assert_same_per_machine(
    a: dict[int, dict[str, Any]], b: dict[int, dict[str, Any]]
) -> int:
    """Every machine's scores, alarms and events are identical; the event count."""
    for m in a:
        np.testing.assert_array_equal(
            np.concatenate(a[m]["score"]), np.concatenate(b[m]["score"])
        )
        np.testing.assert_array_equal(
            np.concatenate(a[m]["alarm"]), np.concatenate(b[m]["alarm"])
        )
        assert a[m]["events"] == b[m]["events"], f"machine {m}"
    return sum(len(a[m]["events"]) for m in a)


def assert_same_state(whole: StreamScorer, sharded: ShardedStreamScorer) -> None:
    """Each shard's arrays are the one scorer's arrays of the shard's machines."""
    full = whole.state()
    for shard, state in sharded.pool.states().items():
        members = sharded.pool.members[shard]
        compared = 0
        for key, value in state.items():
            ref = full[key]
            if ref.ndim and ref.shape[0] == whole.n_machines and key != "shape":
                np.testing.assert_array_equal(value, ref[members], err_msg=key)
                compared += 1
        assert compared >= 5


def faulty(n: int, rows: int) -> list[Recording]:
    """``n`` simulated machines, two of them with a sensor fault."""
    sim = LineSimulator(
        recordings(n, rows, seed=3),
        BrokerConfig("127.0.0.1", 1, "sim"),
        faults=(Fault(1, rows // 2), Fault(4, rows * 2 // 3, size=5.0)),
    )
    return [
        Recording(r.machine, r.sensors, np.array([sim.row(i, t) for t in range(rows)]))
        for i, r in enumerate(sim.recordings)
    ]


def sharded_for(
    recs: list[Recording], shards: int, ray: RayParams | None = None
) -> ShardedStreamScorer:
    """A sharded scorer with the monitor's default detectors for ``recs``."""
    p = PARAMS
    return ShardedStreamScorer(
        [r.machine for r in recs],
        recs[0].values.shape[1],
        p.detector,
        p.drift,
        p.shift,
        ShardParams(shards=shards),
        ray,
    )


def whole_for(recs: list[Recording]) -> StreamScorer:
    """One scorer with the monitor's default detectors for ``recs``."""
    p = PARAMS
    return StreamScorer(
        len(recs), recs[0].values.shape[1], p.detector, p.drift, p.shift
    )


def test_in_process_shards_score_like_one_scorer() -> None:
    """Three in-process shards: per machine the same scores, alarms, events, state."""
    recs = faulty(6, 600)
    whole, sharded = whole_for(recs), sharded_for(recs, 3)
    events = assert_same_per_machine(replay(recs, whole), replay(recs, sharded))
    assert events > 0  # the faults raise alerts, so events are compared
    assert_same_state(whole, sharded)


def test_sharded_checkpoint_round_trip(tmp_path: Path) -> None:
    """A monitor on shards checkpoints one file per shard and resumes from them."""
    recs = faulty(6, 400)  # m0-m3 hash to shard 0, m4 and m5 to shard 1
    sim = LineSimulator(recs, BrokerConfig("127.0.0.1", 1, "sim"))
    config = sim.line_config()

    def monitor(scorer: ShardedStreamScorer) -> LineMonitor:
        """A monitor of the line on ``scorer`` with the checkpoint ck.npz."""
        return LineMonitor(
            config,
            ParquetSink(tmp_path / "store"),
            PARAMS,
            AlertRouter(publish=None, topic=None),
            checkpoint=tmp_path / "ck.npz",
            scorer=scorer,
        )

    first = monitor(sharded_for(recs, 2))
    assert not first.restored
    x = np.stack([r.values[:300] for r in recs], axis=1)
    machines = np.tile(np.arange(6), 300)
    first.scorer.score(machines, np.repeat(np.arange(300.0), 6), x.reshape(-1, 4))
    first.close()
    assert sorted(p.name for p in tmp_path.glob("ck.*")) == [
        "ck.shard-0-of-2.npz",
        "ck.shard-1-of-2.npz",
    ]
    again = monitor(sharded_for(recs, 2))
    assert again.restored
    assert isinstance(again.scorer, ShardedStreamScorer)
    assert isinstance(first.scorer, ShardedStreamScorer)
    for (s, a), b in zip(
        again.scorer.pool.states().items(),
        first.scorer.pool.states().values(),
        strict=True,
    ):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{s}:{key}")
    (tmp_path / "ck.shard-1-of-2.npz").unlink()
    with pytest.raises(DataFormatError, match="shard checkpoint missing"):
        monitor(sharded_for(recs, 2))


@pytest.fixture(scope="module")
def skab_machines(data_dir: Path) -> list[Recording]:
    """Six real SKAB runs (valve and other faults) as machines."""
    recs = skab_recordings(data_dir / "skab")
    return recs[:6]


@pytest.mark.slow
@pytest.mark.usefixtures("local_ray")
def test_ray_shards_score_real_recordings_like_one_scorer(
    skab_machines: list[Recording],
) -> None:
    """Six SKAB runs on 2 Ray actors: per machine identical to one in-process scorer."""
    whole = whole_for(skab_machines)
    want = replay(skab_machines, whole)
    sharded = sharded_for(skab_machines, 2, RayParams("local"))
    try:
        assert len(sharded.pool.live_shards) == 2
        got = replay(skab_machines, sharded)
        events = assert_same_per_machine(want, got)
        assert_same_state(whole, sharded)
    finally:
        sharded.close()
    assert events > 0
    scored = sum(int(np.isfinite(np.concatenate(got[m]["score"])).sum()) for m in got)
    assert scored > 0.5 * sum(len(r.values) for r in skab_machines)
