"""A file much larger than the memory an ingest may use streams through."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import kiwerk

CHILD = """
import json, resource, sys, pathlib
from kiwerk.core.data import Pool, DatasetSpec
root = pathlib.Path(sys.argv[1])
pool = Pool.open(root / "pool", secrets_path=root / "secrets.toml")
pool.bootstrap("acme", "ada")
pool.create_dataset("big", org="acme", actor="ada",
                    spec=DatasetSpec(personal=("operator",)))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = pool.ingest(pathlib.Path(sys.argv[2]), "big", actor="ada")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": report.rows, "base_kib": base, "peak_kib": peak}))
"""


@pytest.mark.slow
def test_ingest_memory_stays_bounded(tmp_path: Path) -> None:
    """Ingesting a ~390 MiB CSV raises peak memory by well under the file's size."""
    rows = 2_500_000
    source = tmp_path / "big.csv"
    sensors = ", ".join(f"round(random() * 100, 3) AS s{k}" for k in range(20))
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT TIMESTAMP '2024-01-01' + to_seconds(i) AS ts, "
        f"'M' || (i % 97) AS machine, 'op' || (i % 41) AS operator, {sensors} "
        f"FROM range({rows}) t(i)) TO '{source}' (HEADER)"
    )
    con.close()
    size_mib = source.stat().st_size / 2**20
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(kiwerk.__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(source)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    grown_mib = (result["peak_kib"] - result["base_kib"]) / 1024
    assert result["rows"] == rows
    assert size_mib > 350
    # Loading the file whole would need more than its size (the Arrow table of
    # 2.5M rows x 23 columns alone is ~450 MiB); streaming costs a constant
    # ~200 MiB of reader and writer buffers, whatever the file size.
    assert grown_mib < 320, (grown_mib, size_mib)
