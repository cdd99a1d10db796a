"""What kiwerk's adaptive signal controller reads from SUMO at each decision.

Per incoming lane: halted vehicles, moving ones (the platoon about to arrive),
halted vehicles on the feeder lanes up to ``upstream_m`` metres behind it, and
vehicles that SUMO could not insert yet on those edges. The last two matter on
short entry lanes: a lane of 40 m holds at most 7 halted cars while hundreds
wait to enter, and plain max pressure then starves it (ingolstadt7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiwerk.domains.mobility._signals import SignalParams

_VEHICLE_M = 7.5  # SUMO's default car: 5 m long plus a 2.5 m gap


@dataclass
class _Traffic:
    """What the adaptive controller reads once per decision step."""

    sumo: Any
    params: SignalParams
    feeders: dict[str, list[str]]
    pending: dict[str, int] = field(default_factory=dict)
    halted: dict[str, int] = field(default_factory=dict)
    moving: dict[str, int] = field(default_factory=dict)
    lanes_of: dict[str, int] = field(default_factory=dict)
    behind: dict[str, list[str]] = field(default_factory=dict)
    length: dict[str, float] = field(default_factory=dict)

    def refresh(self) -> None:
        """Forget the last step's readings; count vehicles not yet inserted."""
        self.halted.clear()
        self.moving.clear()
        self.pending.clear()
        for vehicle in self.sumo.simulation.getPendingVehicles():
            edge = self.sumo.vehicle.getRoute(vehicle)[0]
            self.pending[edge] = self.pending.get(edge, 0) + 1

    def queue(self, lane: str) -> int:
        """Halted vehicles on ``lane``."""
        if lane not in self.halted:
            self.halted[lane] = self.sumo.lane.getLastStepHaltingNumber(lane)
        return self.halted[lane]

    def approaching(self, lane: str) -> int:
        """Moving vehicles on ``lane``."""
        if lane not in self.moving:
            total = self.sumo.lane.getLastStepVehicleNumber(lane)
            self.moving[lane] = total - self.queue(lane)
        return self.moving[lane]

    def waiting(self, lane: str) -> float:
        """Vehicles waiting to be inserted on ``lane``'s edge, per lane."""
        edge = self.sumo.lane.getEdgeID(lane)
        if not self.pending.get(edge):
            return 0.0
        if edge not in self.lanes_of:
            self.lanes_of[edge] = self.sumo.edge.getLaneNumber(edge)
        return self.pending[edge] / self.lanes_of[edge]

    def upstream(self, lane: str) -> list[str]:
        """Lanes feeding ``lane`` within ``upstream_m`` metres (cached)."""
        if lane not in self.behind:
            seen, front, found = {lane}, [(lane, 0.0)], []
            while front:
                current, distance = front.pop()
                for feeder in self.feeders.get(current, []):
                    if feeder in seen:
                        continue
                    seen.add(feeder)
                    found.append(feeder)
                    far = distance + self.sumo.lane.getLength(feeder)
                    if far < self.params.upstream_m:
                        front.append((feeder, far))
            self.behind[lane] = found
        return self.behind[lane]

    def blocked(self, lane: str) -> bool:
        """Whether halted vehicles fill ``spillback`` of ``lane`` (an exit)."""
        if lane not in self.length:
            self.length[lane] = self.sumo.lane.getLength(lane)
        jam = self.queue(lane) * _VEHICLE_M
        return jam >= self.params.spillback * self.length[lane]

    def pressure(self, incoming: str, outgoing: str) -> float:
        """One movement's weight; nothing when its exit is backed up.

        A green towards a full exit moves nobody and lets the queue spread into
        the junction; without this the backlog terms keep such a phase green
        and the corridor gridlocks (cologne3).
        """
        if self.blocked(outgoing):
            return 0.0
        return self.load(incoming) - self.queue(outgoing)

    def load(self, lane: str) -> float:
        """Adaptive weight of an incoming lane: queue, platoon and backlog."""
        p = self.params
        behind = sum(
            p.upstream_weight * self.queue(u) + p.pending_weight * self.waiting(u)
            for u in self.upstream(lane)
        )
        return (
            self.queue(lane)
            + p.approach_weight * self.approaching(lane)
            + p.pending_weight * self.waiting(lane)
            + behind
        )


def _feeders(sumo: Any, controlled: set[str]) -> dict[str, list[str]]:
    """Reverse lane graph: lane → the (non-internal) lanes that lead into it.

    Lanes in ``controlled`` (the approaches of a signal) are left out: their
    queue waits for that signal, not for the one downstream.
    """
    feeders: dict[str, list[str]] = {}
    for lane in sumo.lane.getIDList():
        if lane.startswith(":") or lane in controlled:
            continue
        for link in sumo.lane.getLinks(lane):
            feeders.setdefault(link[0], []).append(lane)
    return feeders


def _inside(sumo: Any, tls: str) -> list[str]:
    """The internal lanes of a signal's junction (where its vehicles turn)."""
    front = [
        link[2]
        for links in sumo.trafficlight.getControlledLinks(tls)
        for link in links
        if link[2]
    ]
    seen: set[str] = set()
    while front:
        lane = front.pop()
        if lane in seen:
            continue
        seen.add(lane)
        front.extend(x[0] for x in sumo.lane.getLinks(lane) if x[0].startswith(":"))
    return sorted(seen)


def _clear(
    sumo: Any,
    switching: dict[str, str],
    inside: dict[str, list[str]],
    now: int,
    clear_s: int,
) -> None:
    """Hold all-red after the yellow while vehicles stand inside a junction.

    A vehicle that waits inside the junction (a permissive left turn caught by
    the switch) meets the new phase's traffic there; in a large junction that
    ends in a deadlock SUMO never resolves without teleports (cologne3). An
    all-red of at most ``clear_s`` seconds lets it leave first, as the
    intergreen of a real programme does.
    """
    held = {
        tls: state
        for tls, state in switching.items()
        if any(sumo.lane.getLastStepHaltingNumber(x) for x in inside[tls])
    }
    for tls, state in switching.items():
        sumo.trafficlight.setRedYellowGreenState(
            tls, "r" * len(state) if tls in held else state
        )
    end = now + clear_s
    while held and now < end:
        now += 1
        sumo.simulationStep(now)
        for tls in [t for t in held if not _occupied(sumo, inside[t])]:
            sumo.trafficlight.setRedYellowGreenState(tls, held.pop(tls))
    for tls, state in held.items():
        sumo.trafficlight.setRedYellowGreenState(tls, state)


def _occupied(sumo: Any, lanes: list[str]) -> bool:
    return any(sumo.lane.getLastStepVehicleNumber(x) for x in lanes)
