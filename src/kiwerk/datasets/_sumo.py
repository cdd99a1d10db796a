"""SUMO scenarios (RESCO): which net, route and config files make each one."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from kiwerk.errors import DataFormatError

RESCO_SCENARIOS = (
    "cologne1",
    "cologne3",
    "cologne8",
    "ingolstadt1",
    "ingolstadt7",
    "ingolstadt21",
    "grid4x4",
    "arterial4x4",
)


@dataclass(frozen=True)
class SumoScenario:
    """One SUMO scenario, as its ``.sumocfg`` describes it.

    Attributes
    ----------
    name
        Scenario folder name (``cologne1``).
    config
        The ``.sumocfg``; SUMO resolves the other files relative to it.
    net
        The ``.net.xml`` road network with its traffic-light programs.
    routes
        The ``.rou.xml`` demand files.
    begin, end
        Simulation window in seconds (``cologne*``: 25200–28800).
    license
        The scenario's terms: TAPAS Cologne CC BY-NC-SA 3.0, InTAS GPL-3.0,
        or RESCO's CC BY-NC-SA 4.0 for the synthetic grids. Research only.
    """

    name: str
    config: Path
    net: Path
    routes: tuple[Path, ...]
    begin: int
    end: int
    license: str

    @property
    def duration(self) -> int:
        """Length of the simulation window in seconds."""
        return self.end - self.begin


def _license(name: str) -> str:
    if name.startswith("cologne"):
        return "TAPAS Cologne, CC BY-NC-SA 3.0 (non-commercial)"
    if name.startswith("ingolstadt"):
        return "InTAS, GPL-3.0 (copyleft)"
    return "RESCO, CC BY-NC-SA 4.0 (non-commercial)"


def _value(root: ET.Element, tag: str, path: Path) -> str:
    element = root.find(f".//{tag}")
    value = element.get("value") if element is not None else None
    if not value:
        raise DataFormatError(f"no <{tag} value=...>", source=str(path), field=tag)
    return value


def read_sumocfg(path: Path) -> SumoScenario:
    """Read a ``.sumocfg``: its net, route files and time window.

    Raises
    ------
    DataFormatError
        The XML is malformed, an entry is missing, or a referenced file does
        not exist.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DataFormatError(f"malformed XML: {exc}", source=str(path)) from exc
    folder = path.parent
    net = folder / _value(root, "net-file", path)
    routes = tuple(
        folder / part.strip()
        for part in _value(root, "route-files", path).split(",")
        if part.strip()
    )
    for referenced in (net, *routes):
        if not referenced.is_file():
            raise DataFormatError(
                f"references missing file {referenced.name}", source=str(path)
            )
    try:
        begin = int(float(_value(root, "begin", path)))
        end = int(float(_value(root, "end", path)))
    except ValueError as exc:
        raise DataFormatError(f"time is not a number: {exc}", source=str(path)) from exc
    if end <= begin:
        raise DataFormatError(f"end {end} is not after begin {begin}", source=str(path))
    name = path.name.removesuffix(".sumocfg")
    return SumoScenario(
        name=name,
        config=path,
        net=net,
        routes=routes,
        begin=begin,
        end=end,
        license=_license(name),
    )


def load_resco(*, directory: Path) -> dict[str, SumoScenario]:
    """The eight RESCO scenarios by name, each from ``<name>/<name>.sumocfg``.

    Examples
    --------
    >>> from kiwerk.settings import Settings
    >>> resco = load_resco(directory=Settings().data / "sumo/resco")
    ... # doctest: +SKIP
    >>> resco["cologne1"].begin, resco["grid4x4"].routes[0].name  # doctest: +SKIP
    (25200, 'grid4x4_1.rou.xml')
    """
    return {
        name: read_sumocfg(directory / name / f"{name}.sumocfg")
        for name in RESCO_SCENARIOS
    }
