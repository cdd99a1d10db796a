"""Signal-control benchmark on the RESCO maps: fixed time, max pressure, kiwerk.

Usage::

    python benchmarks/signals.py [--scenarios cologne1 cologne3 cologne8]
        [--seeds 5] [--duration 3600]

Each controller runs the scenario's RESCO episode (its own begin/end window,
10 s decisions, 3 s yellow) for every seed in the same run; the figure is
RESCO's average trip delay (timeLoss + departDelay over all vehicles,
unfinished and undeparted included). Writes benchmarks/results/signals.json
and a queue time-series plot per scenario.
"""

from __future__ import annotations

import argparse
import time
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
    args = parser.parse_args()
    print(f"machine: {machine()}, {load()} at start")
    resco = load_resco(directory=args.data / "sumo/resco")
    figures: dict[str, dict[str, float]] = {}
    for name in args.scenarios:
        row: dict[str, float] = {}
        runs: dict[str, EpisodeResult] = {}
        for controller in CONTROLLERS:
            delays = []
            begin = time.perf_counter()
            for seed in range(args.seeds):
                params = SignalParams.for_map(name, seed=seed, duration_s=args.duration)
                result = run_episode(resco[name], controller, params)
                delays.append(result.delay_s)
                runs.setdefault(controller, result)
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
