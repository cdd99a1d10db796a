"""Keyed state sharded over Ray actors (or held in-process, shard by shard).

A stream of rows keyed by a machine (or any other key) is cut by a stable
hash of the key into ``shards`` shards. Each shard owns one scorer, built by
a factory the caller passes from the shard's keys, so everything a scorer
learns about a key stays with that key's shard: a shard sees each of its
keys' rows in the order they arrive and nothing else, and its results per
key are those of one scorer holding every key.

On Ray each shard is an actor. The driver keeps the shard's state as of its
last snapshot (every ``snapshot_every`` calls) and the calls made since; when
an actor or its node dies, the shard is re-homed: a new actor (on whichever
node has room) loads the snapshot and replays the calls since, then takes
the failed call. No row is lost and none is applied twice to the state.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from kiwerk.core.scale._backend import RayParams, ray_session

log = logging.getLogger(__name__)

State = dict[str, NDArray[Any]]


class ShardScorer(Protocol):
    """What a shard holds: a scorer whose learnt state is a dict of arrays."""

    def state(self) -> State:
        """Every learnt array."""

    def load_state(self, state: State, where: str = ...) -> None:
        """Take the arrays of :meth:`state`."""


#: ``factory(keys)`` builds the scorer of the shard holding ``keys``, in order.
ShardFactory = Callable[[Sequence[str]], Any]


def shard_of(key: str, shards: int) -> int:
    """The shard of ``key``: a stable hash (BLAKE2b), the same in every process.

    Python's ``hash`` of a string changes from process to process; this one
    does not, so a restarted driver routes every key as before.

    Examples
    --------
    >>> shard_of("press-01", 2), shard_of("press-01", 2)
    (0, 0)
    >>> sorted({shard_of(f"m{i}", 4) for i in range(40)})
    [0, 1, 2, 3]
    """
    if shards < 1:
        raise ValueError(f"Expected shards ≥ 1, got {shards}.")
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


@dataclass(frozen=True)
class ShardParams:
    """How to shard.

    Parameters
    ----------
    shards
        Number of shards (Ray actors).
    snapshot_every
        Ray: calls between the state snapshots the driver keeps for re-homing
        a lost shard (the calls since are kept and replayed).
    max_rehomes
        Ray: how often one call may re-home its shard before giving up.
    """

    shards: int = 2
    snapshot_every: int = 8
    max_rehomes: int = 3

    def __post_init__(self) -> None:
        if self.shards < 1:
            raise ValueError(f"Expected shards ≥ 1, got {self.shards}.")
        if self.snapshot_every < 1:
            raise ValueError(f"Expected snapshot_every ≥ 1, got {self.snapshot_every}.")
        if self.max_rehomes < 0:
            raise ValueError(f"Expected max_rehomes ≥ 0, got {self.max_rehomes}.")


class _ShardActor:
    """One shard's scorer (the body of a Ray actor)."""

    def __init__(self, factory: ShardFactory, keys: Sequence[str]) -> None:
        self.scorer = factory(keys)

    def call(self, method: str, *args: Any) -> Any:
        return getattr(self.scorer, method)(*args)

    def state(self) -> State:
        return dict(self.scorer.state())

    def load_state(self, state: State) -> None:
        self.scorer.load_state(state, "shard snapshot")

    def node(self) -> str:
        import ray

        return str(ray.get_runtime_context().get_node_id())


@dataclass
class _Journal:
    """The driver's copy of a Ray shard: its last snapshot and the calls since."""

    snapshot: State | None
    calls: list[tuple[str, tuple[Any, ...]]]


class ShardPool:
    """Scorers for ``keys``, sharded by :func:`shard_of`, in-process or on Ray.

    Parameters
    ----------
    keys
        The keys (machine names); a row names its key by index into ``keys``.
    factory
        Builds one shard's scorer from the shard's keys; it must pickle
        (a module-level function or a :func:`functools.partial` of one).
    params
        Shards and re-homing.
    ray
        Where the shards live: in-process (the default) or Ray actors.

    Examples
    --------
    >>> class Count:
    ...     def __init__(self, keys):
    ...         self.n_ = np.zeros(len(keys), np.int64)
    ...     def add(self, local):
    ...         np.add.at(self.n_, local, 1)
    ...         return self.n_[local].copy()
    ...     def state(self):
    ...         return {"n_": self.n_}
    ...     def load_state(self, state, where="state"):
    ...         self.n_ = state["n_"].copy()
    >>> names = ["press-01", "press-02", "press-03"]
    >>> pool = ShardPool(names, Count, ShardParams(shards=2))
    >>> pool.merge_rows("add", np.array([0, 2, 0, 1]))
    array([2, 1, 2, 1])
    >>> [pool.shard_keys(s) for s in pool.live_shards]
    [['press-01'], ['press-02', 'press-03']]
    """

    def __init__(
        self,
        keys: Sequence[str],
        factory: ShardFactory,
        params: ShardParams | None = None,
        ray: RayParams | None = None,
    ) -> None:
        self.keys = list(keys)
        self.params = params or ShardParams()
        self.ray = ray or RayParams()
        n = self.params.shards
        self.shard = np.array([shard_of(k, n) for k in self.keys], np.intp)
        self.members = [np.flatnonzero(self.shard == s) for s in range(n)]
        self.local = np.zeros(len(self.keys), np.intp)
        for mem in self.members:
            self.local[mem] = np.arange(len(mem))
        self.factory = factory
        self._stack = ExitStack()
        self._scorers: dict[int, Any] = {}
        self._actors: dict[int, Any] = {}
        self._journal: dict[int, _Journal] = {}
        self.rehomed = 0
        live = [s for s in range(n) if len(self.members[s])]
        if self.ray.in_process:
            self._scorers = {s: factory(self.shard_keys(s)) for s in live}
        else:
            self._stack.enter_context(ray_session(self.ray))
            for s in live:
                self._actors[s] = self._new_actor(s)
                self._journal[s] = _Journal(None, [])

    @property
    def live_shards(self) -> list[int]:
        """The shards that hold at least one key."""
        return [s for s in range(self.params.shards) if len(self.members[s])]

    def shard_keys(self, shard: int) -> list[str]:
        """The keys of ``shard``, in the order of its scorer's local indices."""
        return [self.keys[i] for i in self.members[shard]]

    def _new_actor(self, shard: int) -> Any:
        import ray

        cls = ray.remote(num_cpus=0, max_restarts=0)(_ShardActor)
        return cls.options(scheduling_strategy="SPREAD").remote(
            self.factory, self.shard_keys(shard)
        )

    def map(
        self, method: str, index: NDArray[np.intp], *columns: NDArray[Any]
    ) -> list[tuple[int, NDArray[np.intp], Any]]:
        """Call ``method(local index, *columns)`` on each shard for its rows.

        ``index`` holds each row's key (index into ``keys``); every column
        is cut along its first axis with it. Rows keep their order within a
        shard. Returns ``(shard, row positions, result)`` per shard with rows.
        """
        index = np.asarray(index, np.intp)
        jobs: list[tuple[int, NDArray[np.intp], tuple[Any, ...]]] = []
        which = self.shard[index]
        for s in self.live_shards:
            pos = np.flatnonzero(which == s)
            if pos.size:
                args = (self.local[index[pos]], *(c[pos] for c in columns))
                jobs.append((s, pos, args))
        if self.ray.in_process:
            return [
                (s, pos, getattr(self._scorers[s], method)(*args))
                for s, pos, args in jobs
            ]
        refs = [self._actors[s].call.remote(method, *args) for s, _, args in jobs]
        return [
            (s, pos, self._collect(s, ref, method, args))
            for (s, pos, args), ref in zip(jobs, refs, strict=True)
        ]

    def merge_rows(
        self, method: str, index: NDArray[np.intp], *columns: NDArray[Any]
    ) -> NDArray[Any]:
        """:meth:`map` for a method that returns one array row per input row."""
        parts = self.map(method, index, *columns)
        first = np.asarray(parts[0][2]) if parts else np.zeros(0)
        out = np.empty((len(index), *first.shape[1:]), first.dtype)
        for _, pos, res in parts:
            out[pos] = res
        return out

    def _collect(self, shard: int, ref: Any, method: str, args: tuple[Any, ...]) -> Any:
        import ray

        journal = self._journal[shard]
        for attempt in range(self.params.max_rehomes + 1):
            try:
                if attempt:
                    time.sleep(0.5 * attempt)  # let the cluster see the node gone
                    ref = self._rehome(shard, method, args)
                out = ray.get(ref)
                break
            except ray.exceptions.RayActorError as exc:
                if attempt == self.params.max_rehomes:
                    raise
                log.warning("shard %d lost (%s); re-homing it", shard, exc)
        journal.calls.append((method, args))
        if len(journal.calls) >= self.params.snapshot_every:
            journal.snapshot = ray.get(self._actors[shard].state.remote())
            journal.calls = []
        return out

    def _rehome(self, shard: int, method: str, args: tuple[Any, ...]) -> Any:
        """A new actor for ``shard`` at its last state; the call resubmitted."""
        import ray

        ray.kill(self._actors[shard], no_restart=True)
        actor = self._actors[shard] = self._new_actor(shard)
        journal = self._journal[shard]
        if journal.snapshot is not None:
            ray.get(actor.load_state.remote(journal.snapshot))
        for old_method, old_args in journal.calls:
            actor.call.remote(old_method, *old_args)  # results were delivered
        self.rehomed += 1
        return actor.call.remote(method, *args)

    def nodes(self) -> dict[int, str]:
        """The Ray node each live shard's actor runs on (empty in-process)."""
        if self.ray.in_process:
            return {}
        import ray

        shards = list(self._actors)
        got = ray.get([self._actors[s].node.remote() for s in shards])
        return dict(zip(shards, got, strict=True))

    def states(self) -> dict[int, State]:
        """Each live shard's scorer state now."""
        if self.ray.in_process:
            return {s: dict(sc.state()) for s, sc in self._scorers.items()}
        import ray

        shards = list(self._actors)
        got = ray.get([self._actors[s].state.remote() for s in shards])
        return dict(zip(shards, got, strict=True))

    def load_states(self, states: dict[int, State], where: str = "state") -> None:
        """Give each shard in ``states`` that state (from :meth:`states`)."""
        if self.ray.in_process:
            for s, state in states.items():
                self._scorers[s].load_state(state, where)
            return
        import ray

        ray.get([self._actors[s].load_state.remote(st) for s, st in states.items()])
        for s, state in states.items():
            self._journal[s] = _Journal(state, [])

    def close(self) -> None:
        """Stop the actors and the Ray session this pool opened."""
        if self._actors:
            import ray

            for actor in self._actors.values():
                ray.kill(actor, no_restart=True)
            self._actors = {}
        self._stack.close()

    def __enter__(self) -> ShardPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
