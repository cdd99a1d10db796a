"""Helpers shared by the benchmark scripts: machine description and JSON output."""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    """CPU model, core count and memory of this machine, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        mem = f"{mem_kib / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        mem = "? GiB"
    return f"{cpu}, {os.cpu_count()} cores, {mem}, Python {platform.python_version()}"


def load() -> str:
    """The 1-minute load average; above the core count, timings are inflated."""
    try:
        return f"load average {os.getloadavg()[0]:.1f}"
    except OSError:
        return "load average unknown"


def write_result(name: str, figures: dict[str, Any]) -> Path:
    """Write ``results/<name>.json`` with the figures, machine, date and command."""
    RESULTS.mkdir(exist_ok=True)
    payload = {
        **figures,
        "machine": machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python "
        + shlex.join(["benchmarks/" + Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path
