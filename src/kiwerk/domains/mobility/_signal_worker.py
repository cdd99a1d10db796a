"""Runs one SUMO episode in its own interpreter (see ``run_episode``).

Usage: ``python -m kiwerk.domains.mobility._signal_worker JOB RESULT``, where
JOB holds the pickled ``(scenario, controller, params)`` written by the parent
and RESULT receives the pickled outcome. Files, not pipes: SUMO itself
prints to stdout.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from kiwerk.domains.mobility._signals import _simulate


def main(job: Path, result: Path) -> None:
    """Load the job, simulate, write the outcome."""
    scenario, controller, params = pickle.loads(job.read_bytes())
    result.write_bytes(pickle.dumps(_simulate(scenario, controller, params)))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
