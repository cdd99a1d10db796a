"""Benchmark: ingest a sensor table into the pool vs. plain DuckDB ``COPY``.

The input (timestamp, machine id, operator, 20 float sensors; 10 million rows
by default) is generated into a temporary folder, never into the repository.
In the same run it is

1. written to Parquet by plain DuckDB ``COPY (SELECT * FROM read_csv(...)) TO``
   without any checks (the baseline), and
2. ingested by :meth:`kiwerk.core.data.Pool.ingest` with a contract (types and
   ranges of all sensors, allowed machine ids), the operator column
   pseudonymised, the quality report, duplicate count and content hash.

Each runs in its own child process so that its peak resident memory is its
own. Results go to ``benchmarks/results/pool_ingest.json``.

Run: ``python benchmarks/pool_ingest.py`` (or ``--rows 1000000`` for a quick run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

SENSORS = 20
MACHINES = 200
OPERATORS = 60
RESULTS = Path(__file__).parent / "results" / "pool_ingest.json"


def generate(path: Path, rows: int, seed: int) -> None:
    """Write the sensor CSV with DuckDB (fast, parallel)."""
    sensors = ", ".join(
        f"round(50 + 10 * sin(i * {k + 1} * 0.001) + random() * 5, 3) AS s{k:02d}"
        for k in range(SENSORS)
    )
    con = duckdb.connect()
    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    con.execute(
        f"COPY (SELECT TIMESTAMP '2024-01-01' + to_seconds(i) AS ts, "
        f"'M' || lpad((i % {MACHINES})::VARCHAR, 3, '0') AS machine_id, "
        f"'operator_' || ((i // 3600) % {OPERATORS}) AS operator, {sensors} "
        f"FROM range({rows}) t(i)) TO '{path}' (HEADER)"
    )
    con.close()


def contract() -> object:
    """The contract the kiwerk side validates against."""
    from kiwerk.core.data import ColumnSpec, DatasetSpec

    columns = [
        ColumnSpec("ts", "datetime", nullable=False),
        ColumnSpec(
            "machine_id",
            "str",
            nullable=False,
            allowed=tuple(f"M{m:03d}" for m in range(MACHINES)),
        ),
        ColumnSpec("operator", "str"),
        *(ColumnSpec(f"s{k:02d}", "float", min=0.0, max=100.0) for k in range(SENSORS)),
    ]
    return DatasetSpec(columns=tuple(columns), personal=("operator",), strict=True)


def run_duckdb(source: Path, work: Path) -> float:
    """Plain DuckDB: CSV to Parquet, no checks."""
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{source}')) TO '{work / 'raw.parquet'}' "
        "(FORMAT parquet)"
    )
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def run_kiwerk(source: Path, work: Path) -> float:
    """kiwerk: contract, pseudonymisation, quality report, catalog, audit."""
    from kiwerk.core.data import DatasetSpec, Pool

    pool = Pool.open(work / "pool", secrets_path=work / "secrets.toml")
    pool.bootstrap("bench", "bench")
    spec = contract()
    assert isinstance(spec, DatasetSpec)
    pool.create_dataset("sensors", org="bench", actor="bench", spec=spec)
    start = time.perf_counter()
    report = pool.ingest(source, "sensors", actor="bench")
    elapsed = time.perf_counter() - start
    if report.quarantined or not report.quality.passed:
        raise SystemExit(f"unexpected violations: {report.quality.violation_counts}")
    return elapsed


def child(phase: str, source: Path, work: Path) -> None:
    """Run one phase and print its time and peak RSS as JSON."""
    elapsed = (
        run_kiwerk(source, work) if phase == "kiwerk" else run_duckdb(source, work)
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB → MiB
    print(json.dumps({"seconds": elapsed, "peak_rss_mib": peak}))


def machine() -> str:
    """CPU model, cores and memory of this machine."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB RAM"
    except (OSError, ValueError):
        memory = ""
    return f"{model}, {os.cpu_count()} cores{memory}, {platform.system()}"


def measure(phase: str, source: Path, work: Path) -> dict[str, float]:
    """Run one phase in a child process and return its JSON result."""
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--input", str(source),
         "--work", str(work)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Generate the input, run both phases, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--phase", choices=["kiwerk", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.phase:
        child(args.phase, args.input, args.work)
        return
    temp = Path(tempfile.mkdtemp(prefix="kiwerk-bench-"))
    try:
        source = temp / "sensors.csv"
        print(f"generating {args.rows:,} rows into {source} ...", flush=True)
        generate(source, args.rows, args.seed)
        size = source.stat().st_size / 2**20
        print(f"input: {size:,.0f} MiB; machine: {machine()}", flush=True)
        (temp / "duck").mkdir()
        (temp / "kw").mkdir()
        base = measure("duckdb", source, temp / "duck")
        print(f"duckdb COPY: {base['seconds']:.1f} s", flush=True)
        ours = measure("kiwerk", source, temp / "kw")
        print(f"kiwerk ingest: {ours['seconds']:.1f} s", flush=True)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    result = {
        "rows": args.rows,
        "input_mib": round(size, 1),
        "rows_per_s": round(args.rows / ours["seconds"], 1),
        "baseline_rows_per_s": round(args.rows / base["seconds"], 1),
        "ratio": round(base["seconds"] / ours["seconds"], 3),
        "peak_rss_mib": round(ours["peak_rss_mib"], 1),
        "baseline_peak_rss_mib": round(base["peak_rss_mib"], 1),
        "machine": machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "benchmarks/pool_ingest.py", *sys.argv[1:]]),
    }
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
