"""Serving: load a registered model and predict or explain (no HTTP here)."""

from kiwerk.core.serving._served import ServedModel, read_request_file

__all__ = [
    "ServedModel",
    "read_request_file",
]
