"""JSON results that several benchmark processes fill in part by part."""

from __future__ import annotations

import datetime as dt
import json
import resource
import shlex
import sys
from pathlib import Path
from typing import Any

from filelock import FileLock

from benchmarks._common import RESULTS, machine


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def write_results(name: str, figures: dict[str, Any], *, merge: bool = False) -> Path:
    """Write ``results/<name>.json`` with machine, date and the exact command.

    With ``merge``, per-subset objects already in the file are kept unless this
    run measured them again, and the commands of both runs are recorded.
    """
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    module = "benchmarks." + Path(sys.argv[0]).stem
    command = "PYTHONPATH=src python -m " + shlex.join([module, *sys.argv[1:]])
    lock = Path(str(path) + ".lock")
    with FileLock(str(lock)):
        payload: dict[str, Any] = {}
        if merge and path.is_file():
            payload = json.loads(path.read_text(encoding="utf-8"))
            for key, value in figures.items():
                if isinstance(value, dict) and isinstance(payload.get(key), dict):
                    figures[key] = {**payload[key], **value}
            if payload.get("command") and command not in payload["command"]:
                command = f"{payload['command']} && {command}"
        payload.update(figures)
        payload["machine"] = machine()
        payload["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        payload["command"] = command
        path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    lock.unlink(missing_ok=True)
    return path
