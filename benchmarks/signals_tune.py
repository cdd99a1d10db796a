"""Grid search of kiwerk's adaptive signal weights on tuning seeds.

Usage::

    python benchmarks/signals_tune.py cologne3 --seeds 100-107 \
        --grid '{"keep_bonus": [0, 0.5, 1, 2], "max_green_s": [20, 40]}'

Runs the adaptive controller for every combination of the given
:class:`SignalParams` fields (on top of the map's tuned weights) and every
tuning seed (``--jobs`` episodes at a time), and prints the mean and
per-seed delays. Tuning seeds are kept
apart from the benchmark's seeds 0-4 (``benchmarks/signals.py``); this is how
the per-map weights in ``SignalParams.for_map`` were chosen. Prints only:
the benchmark's figures come from ``benchmarks/signals.py``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks._common import machine
from kiwerk.datasets import load_resco
from kiwerk.domains.mobility import SignalParams, run_episode
from kiwerk.settings import Settings


def _seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    seeds = list(range(int(first), int(last or first) + 1))
    if min(seeds) < 5:
        raise SystemExit("tuning seeds must not include the benchmark's seeds 0-4")
    return seeds


def main() -> None:
    """Print the mean and per-seed delay of every weight combination."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario")
    parser.add_argument("--seeds", type=_seeds, default=_seeds("100-107"))
    parser.add_argument("--grid", type=json.loads, default={"keep_bonus": [0.5]})
    parser.add_argument("--data", type=Path, default=Settings().data)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    scenario = load_resco(directory=args.data / "sumo/resco")[args.scenario]
    for values in itertools.product(*args.grid.values()):
        fields = dict(zip(args.grid, values, strict=True))
        params = [
            SignalParams.for_map(args.scenario, seed=seed, **fields)
            for seed in args.seeds
        ]
        with ThreadPoolExecutor(args.jobs) as pool:
            runs = pool.map(lambda p: run_episode(scenario, "adaptive", p), params)
            delays = [run.delay_s for run in runs]
        cells = " ".join(f"{d:.1f}" for d in delays)
        print(f"{json.dumps(fields)} mean {np.mean(delays):.2f}  {cells}", flush=True)


if __name__ == "__main__":
    main()
