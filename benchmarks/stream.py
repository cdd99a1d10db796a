"""Streaming benchmark: simulator → mosquitto → kiwerk monitor → scored and stored.

Usage::

    python benchmarks/stream.py [--seconds 60] [--machines 500] [--speed 30]
        [--gateway-size 50] [--publishers 1]

Throughput: ``--machines`` C-MAPSS engines × 20 sensors published at
``--speed`` ticks per second (QoS 1) to a local mosquitto by ``--publishers``
simulator processes, as binary ``kiwerk-frame-v1`` frames of
``--gateway-size`` machines per message (``--gateway-size 0``: one JSON
message per machine vector, the earlier path); the monitor (this process)
scores every vector with the vectorised MEWMA T², drift and change-point
detectors and stores it in Parquet batches, acknowledging after each durable
write. Readings per second are counted over the run after a warm-up. Baseline
in the same run: river's HalfSpaceTrees scoring (``score_one`` +
``learn_one``) the same vectors in a bare loop. Latency: 50 machines × 20
sensors at 10 ticks/s (10,000 readings/s), in the same payload format, a
sudden fault injected on every machine at staggered ticks; latency is the
time from the faulty message's publish to the alert's arrival on the MQTT alert
topic. Writes benchmarks/results/stream.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import tempfile
import threading
import time
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import load, machine, write_result
from kiwerk.core.monitor import MewmaParams
from kiwerk.domains.industry.stream import (
    AlertConfig,
    AlertRouter,
    BrokerConfig,
    Fault,
    LineConfig,
    LineMonitor,
    LineSimulator,
    LocalBroker,
    MonitorParams,
    MqttListener,
    ParquetSink,
    cmapss_recordings,
    connect,
    encode_frame,
    make_client,
    run_monitor,
)
from kiwerk.settings import Settings


def _publish(kw: dict[str, Any], out: Any) -> None:
    """Run one simulator process over a slice of the machines."""
    recs = cmapss_recordings(kw["data"], n_machines=kw["n_all"])[kw["lo"] : kw["hi"]]
    faults = tuple(Fault(i, t, size=20.0) for i, t in kw.get("faults", []))
    sim = LineSimulator(
        recs,
        BrokerConfig("127.0.0.1", kw["port"], f"sim-{kw['lo']}"),
        speed=kw["speed"],
        faults=faults,
        gateway_size=kw["gateway_size"],
    )
    report = sim.run(duration=kw["seconds"])
    sent = {recs[i].machine: t for i, t in report.fault_sent.items()}
    out.put(
        {
            "messages": report.messages,
            "vectors": report.vectors,
            "elapsed": report.elapsed_s,
            "faults": sent,
        }
    )


def _line(data: Path, n: int, port: int, gateway_size: int) -> LineConfig:
    recs = cmapss_recordings(data, n_machines=n)
    base = LineSimulator(
        recs, BrokerConfig("127.0.0.1", port, "x"), gateway_size=gateway_size
    ).line_config()
    return LineConfig(
        base.broker,
        base.machines,
        alerts=AlertConfig(min_interval_s=60, max_per_minute=10_000),
        gateways=base.gateways,
    )


def _rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def throughput(
    data: Path,
    port: int,
    n: int,
    seconds: float,
    publishers: int,
    store: Path,
    speed: float,
    gateway_size: int,
) -> dict[str, float]:
    """Readings per second scored and stored while the simulators publish."""
    config = _line(data, n, port, gateway_size)
    params = MonitorParams(detector=MewmaParams(n_fit=60, off_count=10, shrinkage=0.3))
    box: list[LineMonitor] = []
    stop, ready = threading.Event(), threading.Event()
    mon = threading.Thread(
        target=lambda: run_monitor(
            config, store, params=params, stop=stop, ready=ready, on_start=box.append
        )
    )
    mon.start()
    ready.wait(30)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    step = -(-n // publishers)
    procs = [
        ctx.Process(
            target=_publish,
            args=(
                dict(  # noqa: C408
                    data=data,
                    n_all=n,
                    lo=lo,
                    hi=min(lo + step, n),
                    port=port,
                    speed=speed,
                    seconds=seconds,
                    gateway_size=gateway_size,
                ),
                q,
            ),
        )
        for lo in range(0, n, step)
    ]
    for p in procs:
        p.start()
    samples = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds + 2:
        time.sleep(1.0)
        m = box[0]
        samples.append(
            (time.monotonic(), m.stats.scored, m.stats.stored_readings, _rss_mib())
        )
    published = sum(q.get(timeout=120)["vectors"] for _ in procs)
    for p in procs:
        p.join()
    stop.set()
    mon.join()
    warm = len(samples) // 5  # skip the first fifth (connect, fit)
    (ta, sa, wa, ra), (tb, sb, wb, rb) = samples[warm], samples[-1]
    d = len(config.machines[0].sensors)
    return {
        "readings_per_s": (sb - sa) * d / (tb - ta),
        "stored_readings_per_s": (wb - wa) / (tb - ta),
        "published_readings_per_s": published * d / seconds,
        "rss_start_mib": ra,
        "rss_end_mib": rb,
        "rss_max_mib": max(s[3] for s in samples),
    }


def drain(
    data: Path, port: int, n: int, store: Path, seconds: float, gateway_size: int
) -> float:
    """Readings per second the monitor works off a backlog, the simulator idle.

    The simulator first publishes for ``seconds`` while the monitor is away
    (its persistent session queues everything); then the monitor starts and
    drains for up to ``seconds``: its capacity without the simulator competing
    for this machine's two cores.
    """
    config = _line(data, n, port, gateway_size)
    params = MonitorParams(detector=MewmaParams(n_fit=60, off_count=10, shrinkage=0.3))
    monitor = LineMonitor(
        config,
        ParquetSink(store),
        params,
        AlertRouter(publish=None, topic=None, max_per_minute=10_000),
    )
    listener = MqttListener(
        config.broker, list(config.broker.subscribe), monitor.handle
    )
    listener.start()  # creates the persistent session and its subscription
    while not listener.subscribed.is_set():
        listener.drain()
    listener.stop()
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    kw = {
        "data": data,
        "n_all": n,
        "lo": 0,
        "hi": n,
        "port": port,
        # frames flat out would queue gigabytes in the broker: 40 ticks/s, 10 s
        "speed": 40 if gateway_size else 0,
        "seconds": min(seconds, 10.0) if gateway_size else seconds,
        "gateway_size": gateway_size,
    }
    p = ctx.Process(target=_publish, args=(kw, q))
    p.start()
    published = q.get(timeout=seconds + 120)["messages"]  # the messages to drain
    p.join()
    listener = MqttListener(
        config.broker, list(config.broker.subscribe), monitor.handle
    )
    start = time.monotonic()
    listener.start()
    while time.monotonic() - start < seconds and monitor.stats.received < published:
        listener.drain()
        monitor.process()
    elapsed = time.monotonic() - start
    monitor.flush()
    listener.stop()
    return monitor.stats.scored * len(config.machines[0].sensors) / elapsed


def core(data: Path, n: int, gateway_size: int, ticks: int = 100) -> float:
    """The monitor without the network: messages in, scored and stored."""
    config = _line(data, n, 1, gateway_size)
    recs = cmapss_recordings(data, n_machines=n)
    sim = LineSimulator(recs, BrokerConfig("127.0.0.1", 1, "x"))
    msgs: list[tuple[str, bytes]] = []
    for t in range(ticks):
        x = np.vstack([sim.row(i, t) for i in range(n)])
        if gateway_size:
            for g, lo in zip(config.gateways, range(0, n, gateway_size), strict=True):
                k = len(g.machines)
                payload = encode_frame(
                    np.arange(k), np.full(k, 1.7e9 + t), x[lo : lo + k]
                )
                msgs.append((g.topic, payload))
        else:
            msgs += [
                (
                    config.machines[i].topic,
                    json.dumps({"ts": 1.7e9 + t, "values": x[i].tolist()}).encode(),
                )
                for i in range(n)
            ]
    per_tick = len(msgs) // ticks
    params = MonitorParams(detector=MewmaParams(n_fit=60, off_count=10, shrinkage=0.3))
    with tempfile.TemporaryDirectory() as tmp:
        monitor = LineMonitor(
            config,
            ParquetSink(Path(tmp)),
            params,
            AlertRouter(publish=None, topic=None),
        )
        start = time.perf_counter()
        for k in range(0, len(msgs), per_tick):
            for topic, payload in msgs[k : k + per_tick]:
                monitor.handle(topic, payload)
            monitor.process()
        monitor.flush()
        elapsed = time.perf_counter() - start
    return ticks * n * len(recs[0].sensors) / elapsed


def baseline(data: Path, n_vectors: int = 10_000) -> float:
    """river HalfSpaceTrees, score_one + learn_one per vector: readings per second."""
    from river.anomaly import HalfSpaceTrees

    recs = cmapss_recordings(data, n_machines=100)
    x = np.vstack([r.values for r in recs])[:n_vectors]
    lo, hi = x.min(axis=0), x.max(axis=0)
    limits: dict[Hashable, tuple[float, float]] = {
        f"s{j}": (float(lo[j]), float(hi[j])) for j in range(x.shape[1])
    }
    # river's default forest (10 trees of height 8, window 250) on known limits
    model = HalfSpaceTrees(limits=limits, seed=0)
    rows = [{f"s{j}": float(v) for j, v in enumerate(row)} for row in x]
    start = time.perf_counter()
    for row in rows:
        model.score_one(row)  # type: ignore[no-untyped-call]
        model.learn_one(row)  # type: ignore[no-untyped-call]
    return float(len(rows) * x.shape[1] / (time.perf_counter() - start))


def latency(
    data: Path, port: int, store: Path, gateway_size: int, seconds: float = 15.0
) -> list[float]:
    """Publish-to-alert latencies (ms) at 50 machines × 20 sensors × 10 ticks/s."""
    n = 50
    config = _line(data, n, port, min(gateway_size, n))
    params = MonitorParams(
        detector=MewmaParams(n_fit=60, off_count=10, shrinkage=0.3),
        flush_interval_s=0.5,
    )
    arrived: dict[str, float] = {}
    sub = make_client("latency-reader")

    def on_alert(_c: Any, _u: Any, msg: Any) -> None:
        body = json.loads(msg.payload)
        arrived.setdefault(f"{body['machine']}/{body['kind']}", time.time())

    sub.on_message = on_alert
    connect(sub, config.broker)
    sub.subscribe("kiwerk/alerts", qos=1)
    stop, ready = threading.Event(), threading.Event()
    mon = threading.Thread(
        target=lambda: run_monitor(config, store, params=params, stop=stop, ready=ready)
    )
    mon.start()
    ready.wait(30)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    # 6 s of fitting, then one fault per 0.1 s while the engines are still young
    faults = [(i, 65 + i) for i in range(n)]
    p = ctx.Process(
        target=_publish,
        args=(
            dict(  # noqa: C408
                data=data,
                n_all=n,
                lo=0,
                hi=n,
                port=port,
                speed=10.0,
                seconds=seconds,
                faults=faults,
                gateway_size=min(gateway_size, n),
            ),
            q,
        ),
    )
    p.start()
    sent = q.get(timeout=seconds + 60)["faults"]
    p.join()
    time.sleep(1.0)
    stop.set()
    mon.join()
    sub.disconnect()
    return [
        1000 * (arrived[f"{m}/anomaly"] - t)
        for m, t in sent.items()
        if f"{m}/anomaly" in arrived and arrived[f"{m}/anomaly"] >= t
    ]


def main() -> None:
    """Run the benchmark and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Settings().data / "cmapss")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--machines", type=int, default=500)
    parser.add_argument("--publishers", type=int, default=1)
    parser.add_argument(
        "--speed",
        type=float,
        default=30.0,
        help="ticks per second (one vector per machine each); 0 = flat out",
    )
    parser.add_argument(
        "--gateway-size",
        type=int,
        default=50,
        help="machines per kiwerk-frame-v1 message; 0 = one JSON message each",
    )
    args = parser.parse_args()
    g = args.gateway_size
    print(f"machine: {machine()}, {load()} at start")
    base = baseline(args.data)
    print(f"baseline river HalfSpaceTrees bare loop: {base:,.0f} readings/s")
    inproc = core(args.data, args.machines, g)
    fmt = f"kiwerk-frame-v1, {g} machines per message" if g else "JSON per vector"
    print(f"payload: {fmt}")
    print(
        f"monitor core without the network (decode → scored → Parquet): "
        f"{inproc:,.0f} readings/s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with LocalBroker(root / "broker") as broker:
            tp = throughput(
                args.data,
                broker.port,
                args.machines,
                args.seconds,
                args.publishers,
                root / "store",
                args.speed,
                g,
            )
        with LocalBroker(root / "broker2") as broker:
            lat = latency(args.data, broker.port, root / "store2", g)
        with LocalBroker(root / "broker3") as broker:
            drained = drain(
                args.data, broker.port, args.machines, root / "store3", args.seconds, g
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"end to end: {tp['readings_per_s']:,.0f} readings/s scored, "
        f"{tp['stored_readings_per_s']:,.0f} stored "
        f"(publishers offered {tp['published_readings_per_s']:,.0f}/s); "
        f"ratio to baseline {tp['readings_per_s'] / base:.2f}"
    )
    print(
        f"RSS {tp['rss_start_mib']:.0f} → {tp['rss_end_mib']:.0f} MiB,"
        f" peak {peak:.0f} MiB"
    )
    print(
        f"monitor working off a backlog (simulator idle): {drained:,.0f} readings/s;"
        f" ratio to baseline {drained / base:.2f}"
    )
    p95, p99 = (
        (float(np.percentile(lat, q)) for q in (95, 99)) if lat else (np.nan, np.nan)
    )
    print(
        f"latency publish → alert over {len(lat)} faults: p50 {np.median(lat):.1f} ms, "
        f"p95 {p95:.1f} ms, p99 {p99:.1f} ms"
    )
    path = write_result(
        "stream",
        {
            "readings_per_s": round(tp["readings_per_s"]),
            "baseline_readings_per_s": round(base),
            "ratio": round(tp["readings_per_s"] / base, 3),
            "p95_ms": round(p95, 1),
            "p99_ms": round(p99, 1),
            "peak_rss_mib": round(peak, 1),
            "stored_readings_per_s": round(tp["stored_readings_per_s"]),
            "published_readings_per_s": round(tp["published_readings_per_s"]),
            "core_readings_per_s": round(inproc),
            "drain_readings_per_s": round(drained),
            "drain_ratio": round(drained / base, 3),
            "core_ratio": round(inproc / base, 3),
            "rss_start_mib": round(tp["rss_start_mib"], 1),
            "rss_end_mib": round(tp["rss_end_mib"], 1),
            "rss_max_sampled_mib": round(tp["rss_max_mib"], 1),
            "latency_faults": len(lat),
            "machines": args.machines,
            "seconds": args.seconds,
            "speed_ticks_per_s": args.speed,
            "gateway_size": g,
            "payload": fmt,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
