"""Payloads: the binary gateway frame, and JSON vectors as arrays.

A JSON message carries one machine's vector; every message then costs the
broker, the MQTT client and the monitor one round of per-message work, which
caps a Python monitor at a few tens of thousands of readings per second. An
edge gateway that collects a cell of machines can instead send one
*frame* per tick: the payload format ``kiwerk-frame-v1`` is a packed array of
little-endian records, one per sampled vector::

    uint16  machine    index into the gateway's ``machines`` list in the config
    float64 ts         source timestamp, epoch seconds
    float64 values[d]  the machine's d sensors in config order (NaN = missing)

with no header: the record size ``2 + 8 + 8 d`` bytes follows from the line's
sensor count ``d``, and a payload whose length is not a multiple of it is
malformed. A frame may hold several records of one machine (increasing
``ts``) and any subset of the gateway's machines. Decoding is one
:func:`numpy.frombuffer` call, so the per-reading cost is numpy's, not
Python's.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from kiwerk.errors import DataFormatError

FRAME_FORMAT = "kiwerk-frame-v1"
Block = tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]


def frame_dtype(n_sensors: int) -> np.dtype[np.void]:
    """The packed record type of a frame for machines of ``n_sensors`` sensors.

    Examples
    --------
    >>> frame_dtype(20).itemsize
    170
    """
    if n_sensors < 1:
        raise ValueError(f"Expected n_sensors >= 1, got {n_sensors}.")
    return np.dtype(
        [("machine", "<u2"), ("ts", "<f8"), ("values", "<f8", (n_sensors,))]
    )


def encode_frame(
    machines: NDArray[np.integer], ts: NDArray[np.float64], values: NDArray[np.float64]
) -> bytes:
    """Pack vectors as one ``kiwerk-frame-v1`` payload.

    Parameters
    ----------
    machines
        Index of each vector's machine in the gateway's list, shape ``(k,)``.
    ts
        Source timestamps, shape ``(k,)``.
    values
        Sensor vectors, shape ``(k, d)``.

    Examples
    --------
    >>> p = encode_frame(np.array([0, 1]), np.array([5.0, 5.0]), np.ones((2, 3)))
    >>> len(p), decode_frame(p, 3)[0].tolist()
    (68, [0, 1])
    """
    if values.ndim != 2 or len(machines) != len(ts) or len(ts) != len(values):
        raise ValueError("Expected machines (k,), ts (k,) and values (k, d).")
    rec = np.empty(len(ts), frame_dtype(values.shape[1]))
    rec["machine"] = machines
    rec["ts"] = ts
    rec["values"] = values
    return rec.tobytes()


def decode_frame(
    payload: bytes | bytearray, n_sensors: int, where: str = "frame"
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """Unpack a ``kiwerk-frame-v1`` payload into (machine, ts, values) arrays.

    Raises
    ------
    DataFormatError
        When the payload length is not a whole number of records.
    """
    dtype = frame_dtype(n_sensors)
    if len(payload) % dtype.itemsize:
        raise DataFormatError(
            f"{where}: {len(payload)} bytes is not a whole number of "
            f"{FRAME_FORMAT} records of {dtype.itemsize} bytes ({n_sensors} sensors)"
        )
    rec = np.frombuffer(payload, dtype)
    return (
        rec["machine"].astype(np.intp),
        rec["ts"].astype(np.float64),
        np.array(rec["values"], dtype=np.float64),
    )


def json_vectors(
    rows: list[tuple[int, float, object]], sensors: list[list[str]], d: int
) -> tuple[Block, NDArray[np.bool_], list[int]]:
    """Arrays of JSON-decoded vectors ``(machine, ts, values)``.

    ``values`` is a list in sensor order or an object ``{sensor: value}``.
    Returns the kept rows as (machine, ts, values) arrays, a mask of the
    values that were not numbers (now NaN) and the machines of rows dropped
    for a wrong length.

    Examples
    --------
    >>> (m, ts, x), strings, wrong = json_vectors(
    ...     [(0, 1.0, [1, "a"]), (0, 2.0, [1])], [["p", "q"]], 2)
    >>> x.tolist(), strings.tolist(), wrong
    ([[1.0, nan]], [[False, True]], [0])
    """
    midx = np.fromiter((r[0] for r in rows), np.intp, len(rows))
    ts = np.fromiter((r[1] for r in rows), np.float64, len(rows))
    x = np.full((len(rows), d), np.nan)
    keep = np.ones(len(rows), dtype=np.bool_)
    strings = np.zeros(x.shape, dtype=np.bool_)
    wrong = []
    for i, (m, _, values) in enumerate(rows):
        if isinstance(values, dict):
            values = [values.get(s, math.nan) for s in sensors[m]]
        if isinstance(values, np.ndarray):
            values = values.tolist()
        if not isinstance(values, list) or len(values) != d:
            wrong.append(m)
            keep[i] = False
            continue
        try:
            x[i] = values
        except (ValueError, TypeError):
            numeric = [type(v) in (float, int) for v in values]
            x[i] = [
                v if ok else math.nan for v, ok in zip(values, numeric, strict=True)
            ]
            strings[i] = np.logical_not(numeric)
    return (midx[keep], ts[keep], x[keep]), strings[keep], wrong


__all__ = [
    "FRAME_FORMAT",
    "Block",
    "decode_frame",
    "encode_frame",
    "frame_dtype",
    "json_vectors",
]
