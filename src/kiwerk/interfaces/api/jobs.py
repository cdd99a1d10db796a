"""Background jobs of the API: training runs with progress in the store.

Jobs run one at a time in a worker thread (training takes both cores);
their status, progress (0..1), message and result live in the metadata
store, so any worker of the service can answer ``GET /jobs/{id}``.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from kiwerk.core.pipeline import (
    DomainPipeline,
    PoolSource,
    TrainParams,
    ensure_datasets,
    train_pilot,
)
from kiwerk.core.store import JobRecord
from kiwerk.errors import KiwerkError
from kiwerk.interfaces.api.deps import Services
from kiwerk.interfaces.api.schemas import TrainRequest

log = logging.getLogger("kiwerk.api")
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiwerk-job")


def start_training(
    services: Services, pilot: DomainPipeline, body: TrainRequest, *, actor: str
) -> JobRecord:
    """Queue a training run of ``pilot`` as ``actor``; return the job."""
    params = TrainParams(
        seed=services.settings.seed if body.seed is None else body.seed,
        quick=body.quick,
    )
    job = services.store.create_job(
        "train",
        org=pilot.contract.org,
        created_by=actor,
        params={"pilot": pilot.name, "seed": params.seed, "quick": params.quick},
    )
    _executor.submit(_run, services, pilot, params, body.ingest, actor, job.job_id)
    return job


def _run(
    services: Services,
    pilot: DomainPipeline,
    params: TrainParams,
    ingest: bool,
    actor: str,
    job_id: str,
) -> None:
    store = services.store
    store.update_job(job_id, status="running", message="starting")
    last = [0.0]

    def progress(step: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.5 or done >= total:
            last[0] = now
            store.update_job(
                job_id, progress=done / total if total > 0 else 0.0, message=step
            )

    try:
        if ingest:
            ensure_datasets(
                services.pool, pilot, data_dir=services.settings.data, actor=actor
            )
        report = train_pilot(
            pilot,
            PoolSource(services.pool, actor=actor),
            services.models.registry,
            params,
            progress=progress,
        )
    except KiwerkError as exc:
        store.update_job(job_id, status="failed", message=str(exc))
        return
    except Exception as exc:
        log.exception("training job %s failed", job_id)
        store.update_job(job_id, status="failed", message=f"internal error: {exc!r}")
        return
    store.update_job(
        job_id,
        status="succeeded",
        progress=1.0,
        message=f"registered {pilot.name} version {report.record.version}",
        result={
            "model": pilot.name,
            "version": report.record.version,
            "metrics": report.metrics,
            "seconds": report.seconds,
        },
    )


__all__ = ["start_training"]
