"""The stream scorer sharded by machine: in-process shards or Ray actors.

:class:`ShardedStreamScorer` offers :class:`StreamScorer`'s ``score``,
``save`` and ``restore`` over a :class:`~kiwerk.core.scale.ShardPool`: each
shard holds a :class:`StreamScorer` for its machines (a stable hash of the
machine's name picks the shard). Every detector keeps its state per
machine, so a machine's scores, alarms, events and state are those of the
one-process scorer fed the same readings. Events come back ordered by time
(per machine in the order they happened). A checkpoint is one ``.npz`` file
per shard beside the given path (``checkpoint.shard-0-of-2.npz``, …).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kiwerk.core.monitor import MeanShiftParams, MewmaParams, SensorDriftParams
from kiwerk.core.scale import RayParams, ShardParams, ShardPool
from kiwerk.domains.industry.stream._scorer import (
    ScoreBatchResult,
    ScoreEvent,
    StreamScorer,
    check_batch,
    load_arrays,
    save_arrays,
)
from kiwerk.errors import DataFormatError


def _shard_scorer(
    keys: Sequence[str],
    n_sensors: int,
    detector: MewmaParams,
    drift: SensorDriftParams | None,
    shift: MeanShiftParams | None,
) -> StreamScorer:
    """The scorer of one shard (a module-level factory, so it pickles)."""
    return StreamScorer(len(keys), n_sensors, detector, drift, shift)


class ShardedStreamScorer:
    """A :class:`StreamScorer` for ``names``, sharded by machine.

    Parameters
    ----------
    names
        The machines; rows name them by index into ``names``.
    n_sensors, detector, drift, shift
        As for :class:`StreamScorer`.
    shards
        How many shards, and how lost Ray shards are re-homed.
    ray
        In-process shards (default) or Ray actors.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> names = ["press-01", "press-02", "press-03"]
    >>> sharded = ShardedStreamScorer(names, 2, MewmaParams(n_fit=20))
    >>> whole = StreamScorer(3, 2, MewmaParams(n_fit=20))
    >>> m, ts, x = np.arange(90) % 3, np.arange(90.0), rng.normal(size=(90, 2))
    >>> a, b = sharded.score(m, ts, x), whole.score(m, ts, x)
    >>> np.array_equal(a.score, b.score, equal_nan=True)
    True
    """

    def __init__(
        self,
        names: Sequence[str],
        n_sensors: int,
        detector: MewmaParams,
        drift: SensorDriftParams | None = None,
        shift: MeanShiftParams | None = None,
        shards: ShardParams | None = None,
        ray: RayParams | None = None,
    ) -> None:
        self.n_machines = len(names)
        self.n_sensors = n_sensors
        factory = partial(
            _shard_scorer,
            n_sensors=n_sensors,
            detector=detector,
            drift=drift,
            shift=shift,
        )
        self.pool = ShardPool(names, factory, shards, ray)

    def score(
        self,
        machines: NDArray[np.intp],
        ts: NDArray[np.float64],
        x: NDArray[np.float64],
    ) -> ScoreBatchResult:
        """Score rows of many machines; each machine's rows in time order."""
        check_batch(machines, ts, x, self.n_sensors)
        out = ScoreBatchResult(np.full(len(ts), np.nan), np.zeros(len(ts), np.bool_))
        events: list[ScoreEvent] = []
        for shard, pos, res in self.pool.map("score", machines, ts, x):
            out.score[pos] = res.score
            out.alarm[pos] = res.alarm
            out.scored += res.scored
            out.changepoints += res.changepoints
            members = self.pool.members[shard]
            events += [
                dataclasses.replace(ev, machine=int(members[ev.machine]))
                for ev in res.events
            ]
        # stable: a machine's events stay in the order its shard found them
        out.events = sorted(events, key=lambda ev: ev.ts)
        return out

    def shard_path(self, path: Path, shard: int) -> Path:
        """The checkpoint file of ``shard`` beside ``path``."""
        n = self.pool.params.shards
        return path.with_name(f"{path.stem}.shard-{shard}-of-{n}{path.suffix}")

    def save(self, path: Path) -> None:
        """Checkpoint every shard, one ``.npz`` file each (atomic)."""
        for shard, state in self.pool.states().items():
            save_arrays(self.shard_path(path, shard), state)

    def restore(self, path: Path) -> bool:
        """Load the shards' checkpoints; False when there are none.

        Raises
        ------
        DataFormatError
            When only some shards have a checkpoint, or one is unreadable.
        """
        paths = {s: self.shard_path(path, s) for s in self.pool.live_shards}
        states = {s: load_arrays(p) for s, p in paths.items()}
        found = {s: st for s, st in states.items() if st is not None}
        if not found:
            return False
        if len(found) < len(states):
            missing = [str(paths[s]) for s in states if s not in found]
            raise DataFormatError(f"{missing[0]}: shard checkpoint missing")
        self.pool.load_states(found, str(path))
        return True

    def close(self) -> None:
        """Stop the shards' actors (nothing to do in-process)."""
        self.pool.close()


__all__ = ["ShardedStreamScorer"]
