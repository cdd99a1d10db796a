"""The real benchmark datasets kiwerk's pilots and benchmarks run on."""

from kiwerk.datasets._ai4i import load_ai4i
from kiwerk.datasets._cmapss import CmapssSubset, load_cmapss

__all__ = ["CmapssSubset", "load_ai4i", "load_cmapss"]
