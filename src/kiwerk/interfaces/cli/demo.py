"""``kiwerk demo``: the end-to-end pilot on embedded defaults."""

from __future__ import annotations


def demo() -> None:
    """Run the end-to-end pilot demo on embedded defaults."""
    raise NotImplementedError("the demo is being built")
