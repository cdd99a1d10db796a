"""Edge export of the AI4I failure model: parity and speed, ONNX vs native.

Trains the failure pilot's model (full budget by default, ``--quick`` for the
small one) on the official 80 % training split (seed 0), exports it with its
feature step (``FailureModel.to_onnx``), and scores the 2,000-row test split
two ways: natively (``physics_features`` + ``predict_failure``, the serving
path) and with :class:`kiwerk.core.edge.EdgeRunner` (onnxruntime, one
thread, raw rows in). Reports the largest probability difference, decision
agreement, batch rows/s and single-row latency (p50 / p99) of both.
Writes benchmarks/results/edge_onnx.json.

Run: ``python benchmarks/edge_onnx.py [--quick]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._common import machine, write_result


def _timed(fn: Any, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    """Run the comparison and write its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from kiwerk.core.edge import EdgeRunner
    from kiwerk.datasets import load_ai4i
    from kiwerk.domains.industry.failure import (
        failure_pilot,
        labels,
        make_model,
        physics_features,
        predict_failure,
    )
    from kiwerk.settings import Settings

    print(f"machine: {machine()}")
    pilot = failure_pilot()
    rows = load_ai4i(directory=Settings().data / "ai4i2020")
    split = pilot.split({"ai4i2020": rows}, 0)
    model = make_model(0, quick=args.quick)
    model.fit(physics_features(split.train), labels(split.train))
    test = split.test.drop(columns=["Machine failure"])
    records = [{str(k): v for k, v in r.items()} for r in test.to_dict("records")]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "failure.onnx"
        model.to_onnx().save(path)
        size_mb = path.stat().st_size / 1e6
        runner = EdgeRunner(path, threads=1)
        edge = pd.DataFrame(runner.score(records))
        native = predict_failure(model, physics_features(test))
        diff = float(
            np.abs(edge["failure_probability"] - native["failure_probability"]).max()
        )
        agree = float((edge["failure"] == native["failure"].to_numpy()).mean())
        n = len(records)
        native_s = min(
            _timed(lambda: predict_failure(model, physics_features(test)), 5)
        )
        edge_s = min(_timed(lambda: runner.score(records), 5))
        one = test.iloc[:1]
        native_one = _timed(lambda: predict_failure(model, physics_features(one)), 300)
        edge_one = _timed(lambda: runner.score(records[:1]), 300)
    result = {
        "rows": n,
        "max_abs_diff": diff,
        "decision_agreement": agree,
        "onnx_rows_per_s": n / edge_s,
        "native_rows_per_s": n / native_s,
        "onnx_p50_ms": float(np.percentile(edge_one, 50) * 1e3),
        "onnx_p99_ms": float(np.percentile(edge_one, 99) * 1e3),
        "native_p50_ms": float(np.percentile(native_one, 50) * 1e3),
        "native_p99_ms": float(np.percentile(native_one, 99) * 1e3),
        "onnx_mb": size_mb,
        "quick": args.quick,
    }
    print(
        f"parity on {n} test rows: max |Δp| {diff:.2e}, decisions agree {agree:.4f}\n"
        f"batch: ONNX {result['onnx_rows_per_s']:,.0f} rows/s, native "
        f"{result['native_rows_per_s']:,.0f} rows/s\n"
        f"one row: ONNX p50 {result['onnx_p50_ms']:.2f} ms, native p50 "
        f"{result['native_p50_ms']:.2f} ms; file {size_mb:.1f} MB"
    )
    print(f"wrote {write_result('edge_onnx', result)}")


if __name__ == "__main__":
    main()
