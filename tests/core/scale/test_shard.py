"""Keyed scorers sharded by a stable hash, in-process and on Ray."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from kiwerk.core.scale import RayParams, ShardParams, ShardPool, shard_of

NAMES = [f"press-{i:02d}" for i in range(12)]


class RunningSum:
    """Per key: rows seen and a running sum; returns each row's sum so far."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)
        self.n_ = np.zeros(len(keys), np.int64)
        self.sum_ = np.zeros(len(keys))

    def add(self, local: NDArray[np.intp], x: NDArray[np.float64]) -> Any:
        out = np.empty(len(local))
        for k, (m, v) in enumerate(zip(local.tolist(), x.tolist(), strict=True)):
            self.n_[m] += 1
            self.sum_[m] += v
            out[k] = self.sum_[m]
        return out

    def state(self) -> dict[str, NDArray[Any]]:
        return {"n_": self.n_.copy(), "sum_": self.sum_.copy()}

    def load_state(self, state: dict[str, NDArray[Any]], where: str = "") -> None:
        self.n_, self.sum_ = state["n_"].copy(), state["sum_"].copy()


def _stream(seed: int, batches: int) -> list[tuple[NDArray[np.intp], Any]]:
    rng = np.random.default_rng(seed)
    return [
        (rng.integers(0, len(NAMES), 40), rng.normal(size=40)) for _ in range(batches)
    ]


def _reference(stream: list[tuple[NDArray[np.intp], Any]]) -> list[Any]:
    whole = RunningSum(NAMES)
    return [whole.add(m, x) for m, x in stream]


def test_shard_of_is_stable_in_range_and_spread() -> None:
    """A key's shard is the same each call, within [0, n), and all shards get keys."""
    keys = [f"machine-{i}" for i in range(200)]
    first = [shard_of(k, 4) for k in keys]
    assert first == [shard_of(k, 4) for k in keys]
    assert set(first) == {0, 1, 2, 3}
    assert max(np.bincount(first)) < 80  # no shard takes most of the keys
    with pytest.raises(ValueError, match="shards"):
        shard_of("a", 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shards": 0}, "shards"),  # no shard at all
        ({"snapshot_every": 0}, "snapshot_every"),  # never a snapshot
        ({"max_rehomes": -1}, "max_rehomes"),  # negative retries
    ],
)
def test_shard_params_refuse_bad_values(kwargs: dict[str, int], match: str) -> None:
    """ShardParams names the bad field."""
    with pytest.raises(ValueError, match=match):
        ShardParams(**kwargs)


def test_in_process_shards_equal_one_scorer() -> None:
    """Three in-process shards give every row the result one scorer gives it."""
    stream = _stream(0, 6)
    with ShardPool(NAMES, RunningSum, ShardParams(shards=3)) as pool:
        got = [pool.merge_rows("add", m, x) for m, x in stream]
        assert sorted(
            k for s in pool.live_shards for k in pool.shard_keys(s)
        ) == sorted(NAMES)
    for a, b in zip(got, _reference(stream), strict=True):
        np.testing.assert_array_equal(a, b)


def test_in_process_states_round_trip() -> None:
    """A fresh pool given another pool's states goes on where that one stopped."""
    stream = _stream(1, 4)
    first = ShardPool(NAMES, RunningSum, ShardParams(shards=2))
    for m, x in stream[:2]:
        first.merge_rows("add", m, x)
    second = ShardPool(NAMES, RunningSum, ShardParams(shards=2))
    second.load_states(first.states())
    got = [second.merge_rows("add", m, x) for m, x in stream[2:]]
    for a, b in zip(got, _reference(stream)[2:], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
@pytest.mark.usefixtures("local_ray")
def test_ray_shards_equal_one_scorer_and_survive_a_killed_actor() -> None:
    """Two Ray actors match one scorer; a killed actor is re-homed, nothing lost."""
    import ray
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # type: ignore[no-untyped-call]
    stream = _stream(2, 8)
    params = ShardParams(shards=2, snapshot_every=3)
    with ShardPool(NAMES, RunningSum, params, RayParams("local")) as pool:
        got = [pool.merge_rows("add", m, x) for m, x in stream[:4]]
        ray.kill(pool._actors[pool.live_shards[0]], no_restart=True)
        got += [pool.merge_rows("add", m, x) for m, x in stream[4:]]
        assert pool.rehomed == 1
        states = pool.states()
    for a, b in zip(got, _reference(stream), strict=True):
        np.testing.assert_array_equal(a, b)
    seen = sum(int(st["n_"].sum()) for st in states.values())
    assert seen == sum(len(m) for m, _ in stream)  # each row counted exactly once
