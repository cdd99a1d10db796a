"""The REST API (FastAPI): ``create_app(settings)`` and its parts.

Examples
--------
>>> from kiwerk.interfaces.api import ApiParams
>>> ApiParams().token_ttl_s
900.0
"""

from kiwerk.interfaces.api.app import build_services, create_app
from kiwerk.interfaces.api.params import ApiParams

__all__ = ["ApiParams", "build_services", "create_app"]
