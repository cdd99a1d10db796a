"""The set of pilots an application offers, looked up by name."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kiwerk.core.pipeline._spec import DomainPipeline
from kiwerk.errors import Conflict, NotFound


class PilotCatalog:
    """Registered pilots by name; the interfaces build one from the domains.

    Examples
    --------
    >>> PilotCatalog().names()
    []
    """

    def __init__(self, pilots: Iterable[DomainPipeline] = ()) -> None:
        self._pilots: dict[str, DomainPipeline] = {}
        for pilot in pilots:
            self.register(pilot)

    def register(self, pilot: DomainPipeline) -> None:
        """Add ``pilot``; its name must be new."""
        if pilot.name in self._pilots:
            raise Conflict(f"a pilot named {pilot.name!r} is already registered")
        self._pilots[pilot.name] = pilot

    def get(self, name: str) -> DomainPipeline:
        """The pilot called ``name``.

        Raises
        ------
        NotFound
            Naming the pilots that exist.
        """
        try:
            return self._pilots[name]
        except KeyError:
            raise NotFound(
                f"unknown pilot {name!r}; known pilots: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        """Names of all pilots, sorted."""
        return sorted(self._pilots)

    def __iter__(self) -> Iterator[DomainPipeline]:
        return iter(self._pilots[n] for n in self.names())

    def __len__(self) -> int:
        return len(self._pilots)
