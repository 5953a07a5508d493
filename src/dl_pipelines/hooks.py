"""Project hooks: a working MLflow store out of the box, TensorFlow's devices prepared, and one
MLflow run per app. (Each app's effective settings come from ``config_loader.py``.)"""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import mlflow
from filelock import FileLock
from kedro.framework.hooks import hook_impl
from kedro.framework.project import pipelines as registered_pipelines
from kedro.pipeline import Node, Pipeline
from kedro_mlflow.framework.hooks.mlflow_hook import MlflowHook
from mlflow.entities import RunStatus

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.registry import registered_name, version_run_id
from dl_pipelines.core.settings import flatten
from dl_pipelines.core.stages import require_stage_inputs
from dl_pipelines.core.strategy import (
    is_chief,
    split_cpu_from_environment,
    start_multi_worker_from_environment,
    task,
    worker_scratch,
)
from dl_pipelines.core.user_files import file_name, require_user_file
from dl_pipelines.run_records import fail_runs_of_ended_processes, process_tags

logger = logging.getLogger(__name__)


def kedro_command(run_params: dict[str, Any]) -> str:
    """The ``kedro run`` command of this run (Kedro's ``run_params``), with its --params."""
    options = {"--pipelines": "pipeline_names", "--tags": "tags", "--nodes": "node_names",
               "--from-nodes": "from_nodes", "--to-nodes": "to_nodes", "--from-inputs": "from_inputs",
               "--to-outputs": "to_outputs", "--namespaces": "namespaces"}
    parts = ["kedro", "run", *(f"{flag}={','.join(run_params[key])}" for flag, key in options.items()
                              if run_params.get(key))]
    if run_params.get("env") not in (None, "local"):  # local: the default environment
        parts.append(f"--env={run_params['env']}")
    if params := run_params.get("runtime_params"):
        parts += ["--params", ",".join(f"{key}={value}" for name, block in params.items()
                                       for key, value in flatten(block, name))]
    return shlex.join(parts)


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
        scratch = worker_scratch()
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{scratch / 'mlflow.db'}"
        context.config_loader.runtime_params["data_root"] = str(scratch / "data")
        logger.info("TF_CONFIG task %s %d is not the chief: its MLflow records and data go to %s",
                    kind, index, scratch)

    # Last: the other hooks end the run first, in the worker's own store inside the scratch folder.
    @hook_impl(trylast=True)
    def after_pipeline_run(self) -> None:
        if not is_chief():
            shutil.rmtree(worker_scratch(), ignore_errors=True)

    @hook_impl(trylast=True)
    def on_pipeline_error(self) -> None:
        self.after_pipeline_run()


def _mark_model_training(experiment_id: str) -> None:
    """Tag an experiment made before ``mlflow.yml`` said so: the MLflow UI then opens it on its
    Training runs, not on the GenAI overview."""
    client = mlflow.MlflowClient()
    if "mlflow.experimentKind" not in client.get_experiment(experiment_id).tags:
        client.set_experiment_tag(experiment_id, "mlflow.experimentKind", "custom_model_development")


def _store_creation_lock(tracking_uri: str) -> AbstractContextManager[Any]:
    """For a sqlite store, a lock next to its file: two `kedro run`s starting together in a fresh
    clone would both create its tables, and one would die of an alembic error ("duplicate column
    name"); with the lock, the first creates them while the other waits."""
    if not tracking_uri.startswith("sqlite:///"):
        return nullcontext()
    return FileLock(tracking_uri.removeprefix("sqlite:///") + ".lock", timeout=300)


def app_of(node: Node) -> str | None:
    """The app a node belongs to: the first part of its namespace (``cnn.training`` -> ``cnn``)."""
    return node.namespace.split(".")[0] if node.namespace else None


def model_version_runs(version: str, pipeline: Pipeline) -> dict[str, str]:
    """The run that trained ``version`` of each app's registered model, checked before the run
    starts; ``model_version`` is refused for a run that trains, which would mix two models, and
    for an app that registers no model (``REGISTERS_MODEL = False`` in its package)."""
    if training := sorted(n.name for n in pipeline.nodes if not (n.namespace or "").endswith(".inference")):
        raise ConfigurationError(f"model_version={version} is for the inference pipelines only (kedro run "
                                 f"--pipelines=<app>_inference); this run also runs {training[0]}.")
    from dl_pipelines.pipeline_registry import APPS  # imported late, as by the config loader

    apps = sorted({app_of(n) for n in pipeline.nodes})
    for app in apps:
        if not getattr(APPS[app], "REGISTERS_MODEL", True):
            raise ConfigurationError(f"model_version={version}: {app}'s trainings are not registered "
                                     "models (its inference reads the last local training); leave "
                                     "model_version out.")
    return {app: version_run_id(registered_name(app), version) for app in apps}


class AppRunsHook:
    """One MLflow run per app: kedro-mlflow's run, or one child run of it per app when a
    ``kedro run`` holds several apps. Each app run is named after the app; it records the app's
    effective settings the run's nodes use, flattened (``cnn.training.epochs``), and is tagged
    ``app``, ``dataset``, ``data_file`` (the user's file when the dataset is ``csv``, checked to
    exist before the run starts) and the process that runs it (:mod:`dl_pipelines.run_records`:
    runs that an ended process left RUNNING are marked FAILED here). Before any run starts, the
    inputs that other stages write must exist (:func:`~dl_pipelines.core.stages.require_stage_inputs`).

    kedro-mlflow's hook is used for what it does (tracking server, experiment, the run of the
    ``kedro run``, its datasets) but not for parameters: it logs each node's inputs into the one
    run, which cannot give a run per app. Its hook is registered here instead of by the plugin.
    """

    def __init__(self) -> None:
        self.tracking = MlflowHook()
        self._child_runs: dict[str, str] = {}   # app -> its child run (several apps in one run)
        self._nodes_left: Counter[str] = Counter()
        self._params: dict[str, dict[str, Any]] = {}
        self._tags: dict[str, dict[str, str]] = {}

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        with _store_creation_lock(os.environ.get("MLFLOW_TRACKING_URI", "")):
            self.tracking.after_context_created(context)

    @hook_impl
    def after_catalog_created(self, catalog: Any, conf_catalog: dict[str, Any], conf_creds: dict[str, Any],
                              parameters: dict[str, Any], save_version: str,
                              load_versions: dict[str, str]) -> None:
        self.tracking.after_catalog_created(catalog, conf_catalog, conf_creds, parameters, save_version,
                                            load_versions)

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline, catalog: Any) -> None:
        runtime_params = run_params.get("runtime_params") or {}
        # The dataset an inference run's model learned from (app -> dataset): the run's, not the
        # parameter's default. From the stored model input, or from a registered training's run.
        trained_on = {}
        if runtime_params.get("model_version") is None:  # else inference reads a registered training
            trained_on = require_stage_inputs(pipeline, catalog, registered_pipelines,
                                              runtime_params.get("data_root"))
        self._child_runs = {}
        self._nodes_left = Counter(app_of(node) for node in pipeline.nodes if app_of(node))
        self._params, self._tags = {}, {}
        for app in self._nodes_left:
            used = {name for node in pipeline.nodes if app_of(node) == app for name in node.inputs
                    if name.startswith(f"params:{app}.")} | {f"params:{app}.dataset"}
            self._params[app] = dict(kv for name in sorted(used)
                                     for kv in flatten(catalog[name].load(), name.removeprefix("params:")))
            self._tags[app] = {"app": app, "dataset": str(catalog[f"params:{app}.dataset"].load())}
            reads_user_csv = any("user_csv" in n.inputs for n in pipeline.nodes if app_of(n) == app)
            if self._tags[app]["dataset"] == "csv" and reads_user_csv:
                # Checked before the run starts, so a missing file leaves no run and no data behind.
                file = require_user_file(catalog["user_csv"].load(), app)
                self._tags[app]["data_file"] = file_name(file)
        for key, entry, dataset in (("csv_path", "user_csv", "csv"), ("text_path", "user_text", "text")):
            # Else the file is ignored without a word and the run trains the default dataset.
            readers = sorted({app_of(node) for node in pipeline.nodes if entry in node.inputs} - {None})
            if runtime_params.get(key) is not None and readers and not any(
                    self._tags[app]["dataset"] == dataset for app in readers):
                raise ConfigurationError(f"--params {key} is given, but {readers[0]}.dataset is not "
                                         f"{dataset!r}: add --params {readers[0]}.dataset={dataset}.")
        if (version := runtime_params.get("model_version")) is not None:
            for app, run_id in model_version_runs(str(version), pipeline).items():
                self._tags[app].update(model_version=str(version), model_run_id=run_id)
                if dataset := mlflow.MlflowClient().get_run(run_id).data.tags.get("dataset"):
                    trained_on[app] = dataset
        for app, dataset in trained_on.items():
            self._tags[app]["dataset"] = self._params[app][f"{app}.dataset"] = dataset
        self.tracking.before_pipeline_run(run_params, pipeline, catalog)
        if mlflow.active_run() is None:  # tracking is off for this pipeline (mlflow.yml)
            return
        # kedro-mlflow's kedro_command leaves out --params and --env (it does not reproduce the
        # run), and Kedro 1.x passes the runner as an object's repr: the whole command, a class name.
        runner = re.sub(r"^<(?:[\w.]+\.)?(\w+) object at \w+>$", r"\1", str(run_params.get("runner")))
        runner = "SequentialRunner" if runner == "None" else runner  # Kedro's default, as session.run has it
        mlflow.set_tags({"kedro_command": kedro_command(run_params), "runner": runner})
        fail_runs_of_ended_processes()
        _mark_model_training(mlflow.active_run().info.experiment_id)
        if len(self._nodes_left) == 1:
            (app,) = self._nodes_left
            self._record(app, mlflow.active_run().info.run_id)
        else:  # the parent of the app runs
            mlflow.set_tags(process_tags())

    def _record(self, app: str, run_id: str) -> None:
        client = mlflow.MlflowClient()
        client.update_run(run_id, name=app)
        mlflow.set_tags({**self._tags[app], **process_tags()})
        mlflow.log_params(self._params[app])

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        app = app_of(node)
        if not self._nodes_left or len(self._nodes_left) == 1 or app is None or mlflow.active_run() is None:
            return
        active = mlflow.active_run().info.run_id
        if self._child_runs.get(app) == active:
            return
        if active in self._child_runs.values():
            # Kedro interleaves independent apps: this one's run pauses while another app's node runs.
            mlflow.end_run()
        if app in self._child_runs:
            mlflow.start_run(run_id=self._child_runs[app], nested=True)
        else:
            self._child_runs[app] = mlflow.start_run(run_name=app, nested=True).info.run_id
            self._record(app, self._child_runs[app])

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        app = app_of(node)
        if app in self._nodes_left:
            self._nodes_left[app] -= 1

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline, catalog: Any) -> None:
        self._end_child_run(RunStatus.FINISHED)
        self.tracking.after_pipeline_run(run_params, pipeline, catalog)

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params: dict[str, Any], pipeline: Pipeline,
                          catalog: Any) -> None:
        client = mlflow.MlflowClient()
        active = mlflow.active_run()
        for app, run_id in self._child_runs.items():
            # An app whose nodes did not all run did not finish, even if its run is paused.
            if self._nodes_left[app] > 0 and (active is None or run_id != active.info.run_id):
                client.set_terminated(run_id, RunStatus.to_string(RunStatus.FAILED))
        self.tracking.on_pipeline_error(error, run_params, pipeline, catalog)

    def _end_child_run(self, status: int) -> None:
        active = mlflow.active_run()
        if active is not None and active.info.run_id in self._child_runs.values():
            mlflow.end_run(RunStatus.to_string(status))
