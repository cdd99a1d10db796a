"""DICOM de-identification throughput (files/s) on the shared public test files.

Reads, decodes (JPEG 2000 included), windows, de-identifies and writes every
file of ``<data>/dicom`` ``--repeat`` times into a fresh store. The baseline in
the same run is a plain pydicom read + write of the same files (no decoding,
no profile), so the ratio is the cost of the profile and the pixel checks.

Run::

    PYTHONPATH=src python benchmarks/dicom_deid.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pydicom

from kiwerk.domains.health import Deidentifier, deidentify_directory, read_dicom
from kiwerk.settings import Settings

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    """Time the de-identifier against a plain read/write; write dicom_deid.json."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    src = Settings().data / "dicom"
    files = sorted(src.glob("*.dcm"))
    machine = (
        f"{platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}, "
        f"pydicom {pydicom.__version__}"
    )
    print(f"machine: {machine}")
    key = bytes(range(32))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for r in range(args.repeat):
            for i, path in enumerate(files):
                read_dicom(path).save_as(Path(tmp) / f"plain-{r}-{i}.dcm")
        plain = time.perf_counter() - start
        start = time.perf_counter()
        for r in range(args.repeat):
            report = deidentify_directory(
                src, Path(tmp) / f"store-{r}", Deidentifier(key)
            )
        deid = time.perf_counter() - start
    n = len(files) * args.repeat
    mb = sum(p.stat().st_size for p in files) * args.repeat / 1e6
    print(f"baseline read+write: {n / plain:.1f} files/s")
    print(
        f"de-identify (decode, window, profile, write): {n / deid:.1f} files/s, "
        f"{mb / deid:.1f} MB/s; ratio to baseline {plain / deid:.2f}"
    )
    print(f"stored {len(report.ingested)} of {len(files)} per pass")
    result = {
        "files_per_s": n / deid,
        "mb_per_s": mb / deid,
        "baseline_files_per_s": n / plain,
        "files": n,
        "machine": machine,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dicom_deid.json").write_text(
        json.dumps(result, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
