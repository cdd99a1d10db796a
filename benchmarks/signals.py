"""Signal-control benchmark on the RESCO maps: fixed time, max pressure, kiwerk.

Usage::

    python benchmarks/signals.py [--scenarios cologne1 cologne3 cologne8]
        [--seeds 5] [--duration 3600] [--jobs 2]

Each controller runs the scenario's RESCO episode (its own begin/end window,
RESCO's decision interval and yellow: 10 s / 3 s, arterial4x4 5 s / 2 s) for
every seed in the same run, ``--jobs`` episodes at a time (each in its own
process; a seed gives the same delay however many run beside it); the figure is
RESCO's average trip delay (timeLoss + departDelay over all vehicles,
unfinished and undeparted included). Writes benchmarks/results/signals.json
and a queue time-series plot per scenario.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks._common import RESULTS, load, machine, write_result
from kiwerk.datasets import load_resco
from kiwerk.domains.mobility import EpisodeResult, SignalParams, run_episode
from kiwerk.domains.mobility._signals import CONTROLLERS, plot_queues
from kiwerk.settings import Settings

KEYS = {"fixed": "fixed_s", "max_pressure": "max_pressure_s", "adaptive": "kiwerk_s"}


def main() -> None:
    """Run every controller × seed, print the table, write results/signals.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Settings().data)
    parser.add_argument(
        "--scenarios", nargs="*", default=["cologne1", "cologne3", "cologne8"]
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    print(f"machine: {machine()}, {load()} at start")
    resco = load_resco(directory=args.data / "sumo/resco")
    figures: dict[str, dict[str, float]] = {}
    for name in args.scenarios:
        row: dict[str, float] = {}
        runs: dict[str, EpisodeResult] = {}
        for controller in CONTROLLERS:
            begin = time.perf_counter()
            params = [
                SignalParams.for_map(name, seed=seed, duration_s=args.duration)
                for seed in range(args.seeds)
            ]
            with ThreadPoolExecutor(args.jobs) as pool:
                jobs = [(resco[name], controller, p) for p in params]
                results = list(pool.map(lambda job: run_episode(*job), jobs))
            delays = [result.delay_s for result in results]
            runs[controller] = results[0]
            row[KEYS[controller]] = float(np.mean(delays))
            row[KEYS[controller].replace("_s", "_std_s")] = float(np.std(delays))
            print(
                f"{name:13s} {controller:13s} delay {np.mean(delays):7.1f} s "
                f"± {np.std(delays):5.1f} over {args.seeds} seeds "
                f"({time.perf_counter() - begin:.0f} s)",
                flush=True,
            )
        row["kiwerk_vs_fixed"] = row["kiwerk_s"] / row["fixed_s"]
        figures[name] = row
        plot_queues(list(runs.values()), RESULTS / f"signals_{name}.png")
    write_result("signals", {**figures, "seeds": args.seeds})


if __name__ == "__main__":
    main()
