"""kiwerk: an open, self-hostable platform for governed AI pilots.

Check readiness, pick a use case, start a small pilot, measure, iterate — on
versioned, checked and pseudonymised data pools, with models that explain
themselves.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kiwerk")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
