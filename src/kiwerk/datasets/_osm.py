"""OpenStreetMap PBF extracts: the file plus its header (bounding box, date).

Building a street graph needs an OSM library and belongs to the mobility
domain; here we only read the PBF's ``OSMHeader`` block, a few hundred bytes
of zlib-compressed protobuf, to report what area and date the file covers.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiwerk.errors import DataFormatError

_NANO = 1e-9
_MAX_HEADER = 64 * 1024


@dataclass(frozen=True)
class OsmExtract:
    """An OSM PBF file and what its header says.

    Attributes
    ----------
    path
        The ``.osm.pbf`` file.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` in WGS84 degrees.
    replication_timestamp
        The data's timestamp (UTC), or ``None`` when the header has none.
    writing_program
        The tool that wrote the file.
    required_features
        Features a reader must support (``OsmSchema-V0.6``, ``DenseNodes``).
    """

    path: Path
    bbox: tuple[float, float, float, float]
    replication_timestamp: datetime | None
    writing_program: str
    required_features: tuple[str, ...]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """Protobuf fields as ``(number, value)``: varints as int, others as bytes."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == 2:
            size, pos = _varint(data, pos)
            yield number, data[pos : pos + size]
            pos += size
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            yield number, data[pos : pos + width]
            pos += width
        else:
            raise ValueError(f"unsupported wire type {wire}")


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _header_block(path: Path) -> bytes:
    with path.open("rb") as stream:
        (size,) = struct.unpack(">I", stream.read(4))
        if size > _MAX_HEADER:
            raise ValueError("first BlobHeader is implausibly large")
        header = dict(_fields(stream.read(size)))
        if header.get(1) != b"OSMHeader":
            raise ValueError("first block is not an OSMHeader")
        datasize = header.get(3)
        if not isinstance(datasize, int) or datasize > _MAX_HEADER:
            raise ValueError("bad OSMHeader blob size")
        blob = dict(_fields(stream.read(datasize)))
    if isinstance(blob.get(1), bytes):
        return blob[1]  # type: ignore[return-value]
    compressed = blob.get(3)
    if not isinstance(compressed, bytes):
        raise ValueError("OSMHeader blob is neither raw nor zlib")
    return zlib.decompress(compressed)


def read_osm_header(path: Path) -> OsmExtract:
    """Read the ``OSMHeader`` of a PBF file.

    Raises
    ------
    DataFormatError
        The file is not an OSM PBF or its header has no bounding box.
    """
    try:
        fields = list(_fields(_header_block(path)))
    except (ValueError, struct.error, zlib.error) as exc:
        raise DataFormatError(f"not an OSM PBF file: {exc}", source=str(path)) from exc
    bbox_raw = next((v for n, v in fields if n == 1 and isinstance(v, bytes)), None)
    if bbox_raw is None:
        raise DataFormatError("PBF header has no bounding box", source=str(path))
    box = {
        n: round(_zigzag(v) * _NANO, 9)
        for n, v in _fields(bbox_raw)
        if isinstance(v, int)
    }
    if not {1, 2, 3, 4} <= box.keys():
        raise DataFormatError("PBF bounding box is incomplete", source=str(path))
    stamp = next((v for n, v in fields if n == 32 and isinstance(v, int)), None)
    program = next((v for n, v in fields if n == 16 and isinstance(v, bytes)), b"")
    return OsmExtract(
        path=path,
        bbox=(box[1], box[4], box[2], box[3]),  # left, bottom, right, top
        replication_timestamp=(
            datetime.fromtimestamp(stamp, tz=UTC) if stamp is not None else None
        ),
        writing_program=program.decode("utf-8", "replace"),
        required_features=tuple(
            v.decode("utf-8", "replace")
            for n, v in fields
            if n == 4 and isinstance(v, bytes)
        ),
    )


def load_osm_aachen(*, directory: Path) -> OsmExtract:
    """The Aachen extract (``aachen.osm.pbf``) and its header.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> osm = load_osm_aachen(directory=Settings().data / "osm/aachen")
    ... # doctest: +SKIP
    >>> [round(v, 4) for v in osm.bbox]  # doctest: +SKIP
    [6.026, 50.7451, 6.1479, 50.7941]
    """
    return read_osm_header(directory / "aachen.osm.pbf")
