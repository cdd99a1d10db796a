"""Which engine runs scale-out work: this process, or a Ray cluster.

``--ray`` / ``KIWERK_RAY_ADDRESS`` name the cluster; without either, work runs
in-process. ``auto`` connects to the cluster Ray finds (``RAY_ADDRESS``) or
starts a local one; ``local`` always starts a local one; anything else is a
cluster address (``host:port`` or ``ray://host:port``). A local cluster gets a
small object store, no dashboard and no usage statistics: kiwerk shares its
machine with the data pool and the API.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kiwerk.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RayParams:
    """How to reach or start Ray.

    Parameters
    ----------
    address
        ``None`` (run in-process), ``auto``, ``local`` or a cluster address.
    object_store_mib
        Object store of a locally started cluster, in MiB.
    num_cpus
        CPUs a locally started cluster offers; default all.

    Examples
    --------
    >>> RayParams.resolve(None, None).in_process
    True
    >>> RayParams.resolve("auto", "10.0.0.5:6379").address
    'auto'
    >>> RayParams.resolve(None, "10.0.0.5:6379").address
    '10.0.0.5:6379'
    """

    address: str | None = None
    object_store_mib: int = 512
    num_cpus: int | None = None

    def __post_init__(self) -> None:
        if self.address is not None and not self.address.strip():
            raise ValueError("Expected a Ray address, 'auto' or 'local', got ''.")
        if self.object_store_mib < 80:
            raise ValueError(
                f"Expected object_store_mib ≥ 80 (Ray's minimum), "
                f"got {self.object_store_mib}."
            )
        if self.num_cpus is not None and self.num_cpus < 1:
            raise ValueError(f"Expected num_cpus ≥ 1, got {self.num_cpus}.")

    @classmethod
    def resolve(
        cls, option: str | None, setting: str | None, **kwargs: Any
    ) -> RayParams:
        """The command-line ``--ray`` value wins over the ``ray_address`` setting."""
        return cls(address=option or setting or None, **kwargs)

    @property
    def in_process(self) -> bool:
        """Whether no Ray was asked for."""
        return self.address is None


def _init_kwargs(params: RayParams) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": logging.WARNING,
    }
    if params.address == "auto":
        return {**kwargs, "address": None, **_local(params)}
    if params.address == "local":
        return {**kwargs, "address": "local", **_local(params)}
    return {**kwargs, "address": params.address}


def _local(params: RayParams) -> dict[str, Any]:
    out: dict[str, Any] = {"object_store_memory": params.object_store_mib * 2**20}
    if params.num_cpus is not None:
        out["num_cpus"] = params.num_cpus
    return out


@contextmanager
def ray_session(params: RayParams) -> Iterator[dict[str, float]]:
    """Connect to (or start) Ray for the block; shut down what was opened.

    Yields the cluster's resources (``CPU``, ``memory``, ...). When Ray is
    already initialised in this process (a caller's session), it is reused
    and left running.

    Raises
    ------
    ConfigError
        When ``params`` is in-process or the cluster cannot be reached.
    """
    if params.in_process:
        raise ConfigError("no Ray address given; run in-process instead")
    # written, never read: Ray must not phone home from a self-hosted platform
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    import ray

    if ray.is_initialized():
        yield dict(ray.cluster_resources())  # type: ignore[no-untyped-call]
        return
    try:
        ray.init(**_init_kwargs(params))
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigError(
            f"cannot reach Ray at {params.address!r}: {exc}; start a cluster "
            "(`ray start --head`) or leave --ray out to run in-process"
        ) from exc
    try:
        yield dict(ray.cluster_resources())  # type: ignore[no-untyped-call]
    finally:
        ray.shutdown()


def ray_reachable(address: str, timeout: float = 3.0) -> str | None:
    """``None`` when a Ray head's GCS answers at ``host:port``, else why not.

    Only the TCP port is probed, so checking does not join the cluster.

    Examples
    --------
    >>> ray_reachable("not-an-address")
    "expected host:port, got 'not-an-address'"
    """
    import socket

    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return f"expected host:port, got {address!r}"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return None
    except OSError as exc:
        return f"{host}:{port} does not answer ({exc.strerror or exc})"
