"""Project hooks: a working MLflow store out of the box, TensorFlow's devices prepared, and
parameters checked before any work."""

from __future__ import annotations

import importlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from kedro.pipeline import Node, Pipeline
from kedro_mlflow.framework.hooks.mlflow_hook import MAX_PARAM_VAL_LENGTH, MlflowHook

from dl_pipelines.core.strategy import (
    is_chief,
    split_cpu_from_environment,
    start_multi_worker_from_environment,
    task,
)

logger = logging.getLogger(__name__)


class RunEnvironmentHook:
    """Where the run records and computes: MLflow at ``mlflow.db`` (sqlite) in the project unless
    ``MLFLOW_TRACKING_URI`` is set; the chief-only rule of multi-worker runs; logical CPU devices.

    MLflow 3 no longer accepts the old ``mlruns`` file store; kedro-mlflow reads the environment
    variable when ``mlflow.yml`` leaves ``mlflow_tracking_uri`` empty, so this runs first.

    On a non-chief worker of a multi-worker cluster (``TF_CONFIG``), MLflow records and the
    catalog's data go to a scratch folder instead: the chief alone logs the run and writes the
    shared files, so a cluster run is one MLflow run. Before TensorFlow starts, the CPU is split
    into logical devices when ``DL_PIPELINES_LOGICAL_CPUS`` asks for it, and the multi-worker
    strategy is created when ``TF_CONFIG`` describes a cluster.
    """

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: Any) -> None:
        split_cpu_from_environment()
        start_multi_worker_from_environment()
        if is_chief():
            os.environ.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{context.project_path / 'mlflow.db'}")
            return
        kind, index = task()
        scratch = Path(tempfile.mkdtemp(prefix=f"dl_pipelines_{kind}_{index}_"))
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{scratch / 'mlflow.db'}"
        context.config_loader.runtime_params["data_root"] = str(scratch / "data")
        logger.info("TF_CONFIG task %s %d is not the chief: its MLflow records and data go to %s",
                    kind, index, scratch)


class BatchedMlflowHook(MlflowHook):
    """kedro-mlflow's hook, sending each node's parameters to MLflow in one call, and each value
    once per run.

    kedro-mlflow logs every flattened ``params:`` input of every node with its own MLflow call:
    ~450 calls, 1.5 s of a regression run, mostly the same app parameters again for each node.
    Registered in ``settings.py`` in place of the plugin's own instance.
    """

    def __init__(self):
        super().__init__()
        self._node_params: dict[str, Any] = {}
        self._logged_params: dict[str, Any] = {}

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline, catalog: Any) -> None:
        self._logged_params = {}
        super().before_pipeline_run(run_params, pipeline, catalog)

    @hook_impl
    def before_node_run(self, node: Node, catalog: Any, inputs: dict[str, Any], is_async: bool) -> None:
        self._node_params = {}
        run_id, active = self.run_id, mlflow.active_run()
        if active is not None and active.info.run_id == run_id:
            # The run is already active in this thread (the sequential runner): kedro-mlflow's
            # restart of it for threaded runners would cost 3 database calls per node.
            self.run_id = None
        try:
            super().before_node_run(node, catalog, inputs, is_async)  # fills _node_params
        finally:
            self.run_id = run_id
        new = {k: v for k, v in self._node_params.items() if self._logged_params.get(k, self) != v}
        if new:
            mlflow.log_params(new)
            self._logged_params.update(new)

    def _log_param(self, name: str, value: Any) -> None:
        if len(str(value)) <= MAX_PARAM_VAL_LENGTH:
            self._node_params[name] = value
        else:  # kedro-mlflow's long_params_strategy: fail, tag or truncate
            super()._log_param(name, value)


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
