"""Load test of the kiwerk API's single-row and batch prediction endpoints.

Trains the AI4I failure pilot (quick) in a temporary home, then serves it two
ways, each with uvicorn (one worker) in its own process on 127.0.0.1:

- kiwerk: ``create_app`` with API-key auth, tenant checks, rate limiting,
  prediction logging and live monitoring;
- baseline: a minimal FastAPI app calling the same model's ``predict`` with
  no auth, no logging, no monitoring (plain sync routes, as kiwerk's, so both
  run the model in FastAPI's thread pool).

A bounded async client (keep-alive HTTP/1.1 on raw asyncio streams, a fixed
number of connections) drives ``POST .../predict`` with single rows for
``--seconds`` each (closed loop: the peak rate), then kiwerk again at 50 % of
its peak rate (open loop, paced) for the p99 latency, then the batch endpoint
with ``--batch-rows`` rows per request. Writes benchmarks/results/api_load.json.

Run: ``python benchmarks/api_load.py [--seconds 60]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse

from benchmarks._common import machine, write_result

MODEL = "industry-failure"
INPUTS = [
    "Type",
    "Air temperature [K]",
    "Process temperature [K]",
    "Rotational speed [rpm]",
    "Torque [Nm]",
    "Tool wear [min]",
]


def baseline_app() -> FastAPI:
    """The baseline: the same model's predict behind a bare FastAPI route."""
    from kiwerk.core.serving import ServedModel
    from kiwerk.interfaces.cli.pilots import model_registry, pilot_catalog
    from kiwerk.settings import get_settings

    settings = get_settings()
    served = ServedModel.load(
        pilot_catalog().get(MODEL), model_registry(settings), None
    )
    app = FastAPI()

    @app.post(f"/models/{MODEL}/predict")
    def predict(body: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        out = served.predict(pd.DataFrame([body["input"]]))
        return JSONResponse(
            {"prediction": json.loads(out.to_json(orient="records"))[0]}
        )

    @app.post(f"/models/{MODEL}/predict/batch")
    def batch(body: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        out = served.predict(pd.DataFrame(body["columns"]))
        return JSONResponse({"predictions": json.loads(out.to_json(orient="split"))})

    return app


def _prepare(home: Path, data: Path) -> str:
    """Train and promote the pilot, create an API key; return the key."""
    from kiwerk.core.auth import PasswordParams, bootstrap_owner, new_key
    from kiwerk.core.pipeline import (
        PoolSource,
        TrainParams,
        ensure_datasets,
        train_pilot,
    )
    from kiwerk.interfaces.api import ApiParams, build_services
    from kiwerk.settings import Settings

    settings = Settings(home=home, data=data, secret_key="benchmark-secret")
    services = build_services(
        settings, ApiParams(passwords=PasswordParams(time_cost=1, memory_kib=8192))
    )
    pilot = services.models.pilot(MODEL)
    org = pilot.contract.org
    bootstrap_owner(
        services.pool, services.store, services.hasher,
        org=org, user="ops", password="benchmark-password",
    )  # fmt: skip
    ensure_datasets(services.pool, pilot, data_dir=data, actor="ops")
    report = train_pilot(
        pilot, PoolSource(services.pool, actor="ops"), services.models.registry,
        TrainParams(quick=True),
    )  # fmt: skip
    print(f"trained {MODEL} v{report.record.version} in {report.seconds:.1f} s")
    text, record = new_key(
        name="load", org=org, role="viewer", created_by="ops",
        rate_per_minute=100_000_000,
    )  # fmt: skip
    services.pool.add_user(record.actor, org=org, role="viewer", actor="ops")
    services.store.add_key(record)
    services.store.close()
    return text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(target: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env={**os.environ, **env}, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{target} did not start")


class _Conn:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port, self.headers = port, headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port
            )
        assert self.reader is not None
        head = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await self.writer.drain()
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        payload = await self.reader.readexactly(length)
        return int(status_line.split()[1]), payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _closed_loop(
    port: int, headers: dict[str, str], bodies: list[bytes], seconds: float, conns: int
) -> tuple[float, list[float]]:
    path = f"/models/{MODEL}/predict"
    latencies: list[float] = []
    errors = 0
    first: list[bytes] = []
    stop = time.perf_counter() + seconds

    async def worker(i: int) -> None:
        nonlocal errors
        conn, k = _Conn(port, headers), i
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            status, payload = await conn.post(path, bodies[k % len(bodies)])
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors += 1
                first.append(payload[:300])
            k += conns
        conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(conns)))
    if errors:
        raise RuntimeError(f"{errors} requests failed, e.g. {first[0]!r}")
    return len(latencies) / (time.perf_counter() - start), latencies


async def _paced(
    port: int, headers: dict[str, str], bodies: list[bytes], seconds: float,
    rate: float, conns: int,
) -> list[float]:  # fmt: skip
    """Open loop: requests start on a fixed schedule; latency counts from then."""
    path = f"/models/{MODEL}/predict"
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    latencies: list[float] = []

    async def worker() -> None:
        conn = _Conn(port, headers)
        while (item := await queue.get()) is not None:
            due, body = item
            status, _ = await conn.post(path, body)
            if status != 200:
                raise RuntimeError(f"status {status}")
            latencies.append(time.perf_counter() - due)
        conn.close()

    tasks = [asyncio.create_task(worker()) for _ in range(conns)]
    start, n = time.perf_counter(), int(seconds * rate)
    for i in range(n):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        queue.put_nowait((due, bodies[i % len(bodies)]))
    for _ in tasks:
        queue.put_nowait(None)
    await asyncio.gather(*tasks)
    return latencies


async def _batch(
    port: int, headers: dict[str, str], frame: pd.DataFrame, rows: int, repeats: int
) -> float:
    big = frame.sample(rows, replace=True, random_state=0)
    body = json.dumps({"columns": big.to_dict(orient="list")}).encode()
    conn = _Conn(port, headers)
    start = time.perf_counter()
    for _ in range(repeats):
        status, payload = await conn.post(f"/models/{MODEL}/predict/batch", body)
        if status != 200:
            raise RuntimeError(payload[:300])
    conn.close()
    return rows * repeats / (time.perf_counter() - start)


def _measure(
    name: str, port: int, headers: dict[str, str], bodies: list[bytes],
    frame: pd.DataFrame, args: argparse.Namespace,
) -> dict[str, float]:  # fmt: skip
    """Peak rate, p99 at peak, batch rate; for kiwerk also p50/p99 at 50 %."""
    asyncio.run(_closed_loop(port, headers, bodies, 3.0, args.connections))
    rps, lat = asyncio.run(
        _closed_loop(port, headers, bodies, args.seconds, args.connections)
    )
    out = {"rps": rps, "p99_ms_at_peak": float(np.percentile(lat, 99) * 1e3)}
    print(f"{name}: {rps:,.1f} requests/s at peak (p99 {out['p99_ms_at_peak']:.1f} ms)")
    if name == "kiwerk":
        lat = asyncio.run(
            _paced(port, headers, bodies, args.seconds / 2, rps / 2, args.connections)
        )
        out["p99_ms"] = float(np.percentile(lat, 99) * 1e3)
        out["p50_ms"] = float(np.percentile(lat, 50) * 1e3)
        print(
            f"kiwerk at 50% of peak ({rps / 2:,.1f}/s): p50 {out['p50_ms']:.1f} ms, "
            f"p99 {out['p99_ms']:.1f} ms"
        )
    out["batch_rows_per_s"] = asyncio.run(
        _batch(port, headers, frame, args.batch_rows, args.batch_repeats)
    )
    print(f"{name} batch: {out['batch_rows_per_s']:,.0f} rows/s")
    return out


def main() -> None:
    """Run the benchmark and write its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--batch-rows", type=int, default=10_000)
    parser.add_argument("--batch-repeats", type=int, default=10)
    args = parser.parse_args()
    from kiwerk.settings import Settings

    data = Settings().data
    frame = pd.read_csv(data / "ai4i2020" / "ai4i2020.csv")[INPUTS]
    bodies = [
        json.dumps({"input": row}).encode()
        for row in frame.sample(2000, random_state=1).to_dict(orient="records")
    ]
    print(f"machine: {machine()}")
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        key = _prepare(home, data)
        env = {
            "KIWERK_HOME": str(home),
            "KIWERK_DATA": str(data),
            "KIWERK_SECRET_KEY": "benchmark-secret",
        }
        for name, target, headers in (
            ("baseline", "benchmarks.api_load:baseline_app", {}),
            (
                "kiwerk",
                "kiwerk.interfaces.api.app:create_default_app",
                {"X-API-Key": key},
            ),
        ):
            proc, port = _serve(target, env)
            try:
                figures[name] = _measure(name, port, headers, bodies, frame, args)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    kiwerk, base = figures["kiwerk"], figures["baseline"]
    result = {
        "rps": kiwerk["rps"],
        "baseline_rps": base["rps"],
        "ratio": kiwerk["rps"] / base["rps"],
        "p99_ms": kiwerk["p99_ms"],
        "p50_ms": kiwerk["p50_ms"],
        "p99_ms_at_peak": kiwerk["p99_ms_at_peak"],
        "baseline_p99_ms_at_peak": base["p99_ms_at_peak"],
        "batch_rows_per_s": kiwerk["batch_rows_per_s"],
        "baseline_batch_rows_per_s": base["batch_rows_per_s"],
        "connections": args.connections,
        "seconds": args.seconds,
    }
    print(
        f"ratio kiwerk / baseline: {result['ratio']:.2f} (target >= 0.7); p99 at 50% "
        f"of peak {result['p99_ms']:.1f} ms (target <= 20 ms); batch "
        f"{result['batch_rows_per_s']:,.0f} rows/s (target >= 100,000)"
    )
    print(f"wrote {write_result('api_load', result)}")


if __name__ == "__main__":
    main()
