"""Project hooks: a working MLflow store out of the box, and parameters checked before any work."""

from __future__ import annotations

import importlib
import os
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline


class MlflowDefaultsHook:
    """Point MLflow at ``mlflow.db`` (sqlite) in the project unless ``MLFLOW_TRACKING_URI`` is set.

    MLflow 3 no longer accepts the old ``mlruns`` file store; kedro-mlflow reads the environment
    variable when ``mlflow.yml`` leaves ``mlflow_tracking_uri`` empty, so this runs first.
    """

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: Any) -> None:
        os.environ.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{context.project_path / 'mlflow.db'}")


class ParameterValidationHook:
    """Validate the parameters of every app in the run before its first node starts.

    An app is a package ``dl_pipelines.pipelines.<app>`` exposing ``validate_parameters(params)``;
    its nodes carry the namespace ``<app>.<stage>``.
    """

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline, catalog: Any) -> None:
        apps = sorted({node.namespace.split(".")[0] for node in pipeline.nodes if node.namespace})
        for app in apps:
            module = importlib.import_module(f"dl_pipelines.pipelines.{app}")
            validate = getattr(module, "validate_parameters", None)
            if validate is not None:
                validate(catalog.load(f"params:{app}"))
