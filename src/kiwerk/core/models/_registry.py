"""The model registry: MLflow tracking runs and registered, aliased versions.

The embedded default is an SQLite store under the kiwerk home with artifacts
in a folder beside it; any MLflow tracking URI works the same way. Versions
move through aliases (``candidate`` → ``production``), not the stages MLflow 3
deprecates.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib

from kiwerk.core.models._record import Alias, DatasetRef, ModelRecord
from kiwerk.core.models._version import code_version
from kiwerk.errors import ConfigError, NotFound

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

MODEL_FILE = "model.joblib"


class ModelRegistry:
    """Track training runs and register model versions in MLflow.

    Parameters
    ----------
    tracking_uri
        An MLflow tracking URI, e.g. ``sqlite:///home/mlflow.db`` or
        ``http://mlflow:5000``; it is also the registry URI.
    artifact_root
        Folder for run artifacts of new experiments when the store is local;
        ``None`` leaves the choice to the tracking server.
    """

    def __init__(self, tracking_uri: str, artifact_root: Path | None = None) -> None:
        if not tracking_uri:
            raise ConfigError("an MLflow tracking URI is required")
        self.tracking_uri = tracking_uri
        self.artifact_root = artifact_root
        self._client: MlflowClient | None = None

    @property
    def client(self) -> MlflowClient:
        """The MLflow client, created on first use."""
        if self._client is None:
            from mlflow.tracking import MlflowClient

            if self.tracking_uri.startswith("sqlite:///"):
                Path(self.tracking_uri.removeprefix("sqlite:///")).parent.mkdir(
                    parents=True, exist_ok=True
                )
            self._client = MlflowClient(
                tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri
            )
        return self._client

    def _experiment(self, name: str) -> str:
        found = self.client.get_experiment_by_name(f"kiwerk/{name}")
        if found is not None:
            return str(found.experiment_id)
        location = None
        if self.artifact_root is not None:
            location = (self.artifact_root / name).resolve().as_uri()
        return str(self.client.create_experiment(f"kiwerk/{name}", location))

    def register(
        self,
        name: str,
        *,
        model: Any,
        seed: int,
        params: Mapping[str, object],
        metrics: Mapping[str, float],
        cv_metrics: Mapping[str, float],
        kpis: Mapping[str, float],
        datasets: list[DatasetRef],
        explanation: Mapping[str, Any],
        artifacts: list[Path] | None = None,
    ) -> ModelRecord:
        """Log one training run and register its model as the new candidate.

        The run gets the parameters, metrics and artifacts; the model version
        gets the same facts as tags so that listing versions needs no run
        look-ups.

        Returns
        -------
        ModelRecord
            The new version, holding the ``candidate`` alias.
        """
        version = code_version()
        tags = {
            "pilot": name,
            "seed": str(seed),
            "code.version": version.label,
            "code.kiwerk": version.kiwerk,
            "code.commit": version.commit or "",
            "explanation.summary": json.dumps(dict(explanation)),
        }
        for ref in datasets:
            tags.update(ref.tags())
        tags.update({f"param.{k}": str(v) for k, v in params.items()})
        tags.update({f"metric.test.{k}": repr(float(v)) for k, v in metrics.items()})
        tags.update({f"metric.cv.{k}": repr(float(v)) for k, v in cv_metrics.items()})
        tags.update({f"kpi.{k}": repr(float(v)) for k, v in kpis.items()})
        run_id = self._log_run(
            name, tags, params, metrics, cv_metrics, kpis, model, artifacts or []
        )
        client = self.client
        if not client.search_registered_models(filter_string=f"name = '{name}'"):
            client.create_registered_model(name, tags={"pilot": name})
        run = client.get_run(run_id)
        created = client.create_model_version(
            name, source=f"{run.info.artifact_uri}/model", run_id=run_id, tags=tags
        )
        client.set_registered_model_alias(name, Alias.CANDIDATE, created.version)
        return self.record(name, int(created.version))

    def _log_run(
        self,
        name: str,
        tags: dict[str, str],
        params: Mapping[str, object],
        metrics: Mapping[str, float],
        cv_metrics: Mapping[str, float],
        kpis: Mapping[str, float],
        model: Any,
        artifacts: list[Path],
    ) -> str:
        client = self.client
        run = client.create_run(self._experiment(name), tags=tags)
        run_id = str(run.info.run_id)
        try:
            for key, value in params.items():
                client.log_param(run_id, key, value)
            for prefix, values in (
                ("test", metrics),
                ("cv", cv_metrics),
                ("kpi", kpis),
            ):
                for key, number in values.items():
                    client.log_metric(run_id, f"{prefix}.{key}", float(number))
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / MODEL_FILE
                joblib.dump(model, path)
                client.log_artifact(run_id, str(path), artifact_path="model")
            for artifact in artifacts:
                client.log_artifact(run_id, str(artifact), artifact_path="report")
        except BaseException:
            client.set_terminated(run_id, status="FAILED")
            raise
        client.set_terminated(run_id)
        return run_id

    def names(self) -> list[str]:
        """Names of all registered models, sorted."""
        return sorted(m.name for m in self.client.search_registered_models())

    def versions(self, name: str) -> list[ModelRecord]:
        """Every version of model ``name``, newest first.

        Raises
        ------
        NotFound
            When no model of that name was ever registered.
        """
        found = self.client.search_model_versions(filter_string=f"name = '{name}'")
        if not found:
            raise NotFound(_never_trained(name))
        aliases = self._aliases(name)
        records = [_record(v, aliases) for v in found]
        return sorted(records, key=lambda r: r.version, reverse=True)

    def record(self, name: str, ref: str | int | None = None) -> ModelRecord:
        """One version of ``name``: by number, alias, or the newest (``None``).

        Raises
        ------
        NotFound
            When the model, the version or the alias does not exist.
        """
        if ref is None or ref == "latest":
            return self.versions(name)[0]
        if isinstance(ref, int) or str(ref).isdigit():
            wanted = int(ref)
            for record in self.versions(name):
                if record.version == wanted:
                    return record
            raise NotFound(f"model {name!r} has no version {wanted}")
        aliases = self._aliases(name) if self.versions(name) else {}
        number = next((v for a, v in aliases.items() if a == ref), None)
        if number is None:
            raise NotFound(
                f"model {name!r} has no {ref!r} version; "
                f"aliases set: {sorted(aliases) or 'none'}"
            )
        return self.record(name, number)

    def resolve(self, name: str, ref: str | int | None = None) -> ModelRecord:
        """Like :meth:`record`, but ``None`` means production if set, else newest.

        Raises
        ------
        NotFound
            When the model was never trained or ``ref`` does not exist.
        """
        if ref is not None:
            return self.record(name, ref)
        versions = self.versions(name)
        return next((r for r in versions if Alias.PRODUCTION in r.aliases), versions[0])

    def load(self, record: ModelRecord) -> Any:
        """The fitted model object stored with ``record``."""
        from mlflow.artifacts import download_artifacts

        with tempfile.TemporaryDirectory() as tmp:
            local = download_artifacts(
                run_id=record.run_id,
                artifact_path=f"model/{MODEL_FILE}",
                dst_path=tmp,
                tracking_uri=self.tracking_uri,
            )
            return joblib.load(local)

    def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` of model ``name`` at ``version``."""
        self.client.set_registered_model_alias(name, alias, str(version))

    def _aliases(self, name: str) -> dict[str, int]:
        model = self.client.get_registered_model(name)
        return {a: int(v) for a, v in (model.aliases or {}).items()}


def _record(version: Any, aliases: Mapping[str, int]) -> ModelRecord:
    number = int(version.version)
    return ModelRecord(
        name=str(version.name),
        version=number,
        run_id=str(version.run_id),
        aliases=tuple(sorted(a for a, v in aliases.items() if v == number)),
        tags=dict(version.tags or {}),
        created_ms=int(version.creation_timestamp or 0),
    )


def _never_trained(name: str) -> str:
    return (
        f"no model is registered for {name!r}: it was never trained; "
        f"run `kiwerk train {name}` first"
    )
