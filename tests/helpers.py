"""What every app's tests do: quick parameters, a pipeline run through a KedroSession, the MLflow
run it logged, and a notebook executed headless."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from mlflow.utils import find_free_port

from dl_pipelines.core.settings import AppSettings, effective_settings
from dl_pipelines.pipeline_registry import APPS
from tests.conftest import PROJECT_ROOT


def raw_params(app: str) -> dict[str, Any]:
    """The ``<app>`` parameters of conf/base as written, presets included."""
    return yaml.safe_load((PROJECT_ROOT / f"conf/base/parameters_{app}.yml").read_text())[app]


def app_settings(app: str, **changes: Any) -> AppSettings:
    """The project's effective ``<app>`` settings, quick and file-free (2 epochs, no checkpoints
    or TensorBoard logs, silent), with ``section__key=value`` changes; resolved and validated as
    a ``kedro run`` does (raises the same ConfigurationError)."""
    params = raw_params(app)
    run = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters.yml").read_text())["run"]
    run.update(checkpoint_dir=None, tensorboard_dir=None, verbose=0)
    if "training" in params:  # hopfield stores its patterns without a fit()
        params["training"] = {**params["training"], "epochs": 2}
    for dotted, value in changes.items():
        *path, key = dotted.split("__")
        target = params
        for part in path:
            target = target.setdefault(part, {})
        target[key] = value
    return effective_settings(app, params, APPS[app].Settings, run)


def run_pipeline(project: Path, pipeline: str | list[str], runtime_params: dict[str, Any]) -> None:
    """``kedro run --pipelines=<pipeline> --params ...`` in the project copy, in this process."""
    bootstrap_project(project)
    try:
        with KedroSession.create(project_path=project, runtime_params=runtime_params) as session:
            session.run(pipeline_names=[pipeline] if isinstance(pipeline, str) else pipeline)
    finally:
        # kedro-mlflow finishes its run but, when several sessions share one process (only in
        # tests: `kedro run` is a process of its own), it stays on MLflow's active-run stack.
        while mlflow.active_run():
            mlflow.end_run()


def same_predictions_from_the_registry(project: Path, app: str, runtime_params: dict[str, Any]) -> None:
    """``<app>_inference`` with ``--params model_version=latest`` reads the model files the latest
    registered training logged (the local ones moved away meanwhile): the same predictions table."""
    path = project / f"data/07_model_output/{app}/predictions.csv"
    local = path.read_text()
    trained = [project / "data" / layer for layer in ("02_intermediate", "05_model_input", "06_models")]
    for folder in trained:
        folder.rename(folder.with_name(f"{folder.name}.away"))
    try:
        run_pipeline(project, f"{app}_inference", {**runtime_params, "model_version": "latest"})
    finally:
        for folder in trained:
            folder.with_name(f"{folder.name}.away").rename(folder)
    assert path.read_text() == local
    # Its run is tagged with the dataset the model learned from, whatever the parameters' default.
    run = mlflow.search_runs(experiment_names=["dl_pipelines"], filter_string="tags.model_version = 'latest'",
                             order_by=["attributes.start_time DESC"]).iloc[0]
    trained_on = mlflow.get_run(run["tags.model_run_id"]).data.tags["dataset"]
    assert run["tags.dataset"] == run[f"params.{app}.dataset"] == trained_on


def top_run(pipeline: str) -> tuple[pd.Series, dict[str, float]]:
    """The one top-level MLflow run of ``kedro run --pipelines=<pipeline>`` and its metrics."""
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"])
    top = runs[runs["tags.pipeline_names"] == str([pipeline])]
    if "tags.mlflow.parentRunId" in top:
        top = top[top["tags.mlflow.parentRunId"].isna()]
    assert len(top) == 1, f"expected one MLflow run of {pipeline}, found {len(top)}"
    row = top.iloc[0]
    metrics = {key.removeprefix("metrics."): value for key, value in row.items()
               if key.startswith("metrics.") and pd.notna(value)}
    return row, metrics


def assert_recorded(run: pd.Series, app: str, dataset: str) -> None:
    """An app's MLflow run as CONVENTIONS.md (3) asks: finished, named and tagged after the app and
    its dataset, its parameters the effective settings: no preset blocks, no None placeholders."""
    assert run["status"] == "FINISHED"
    assert run["tags.mlflow.runName"] == app
    assert run["tags.app"] == app and run["tags.dataset"] == dataset
    assert run[f"params.{app}.dataset"] == dataset
    params = {key: value for key, value in run.items() if key.startswith("params.") and pd.notna(value)}
    assert params and not [key for key, value in params.items() if "presets" in key or value == "None"]


def execute_notebook(project: Path, name: str) -> list[dict[str, Any]]:
    """Run ``notebooks/<name>`` headless in the project copy; return every cell output."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(project / "notebooks" / name, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(project / "notebooks")}}).execute()
    return [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]


def images_in(outputs: list[dict[str, Any]]) -> int:
    """How many PNG figures a notebook's outputs show."""
    return sum("image/png" in out.get("data", {}) for out in outputs)


def served_answer(model_uri: str, payload: dict[str, Any], timeout: float = 180) -> Any:
    """``mlflow models serve -m <model_uri> --env-manager local`` on 127.0.0.1 in a process of its
    own, asked once over HTTP (``POST /invocations``); returns the JSON answer."""
    port = find_free_port()
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local",
               "-h", "127.0.0.1", "-p", str(port)]
    # MLflow starts `uvicorn` from the PATH: the one of this environment, as in an activated one.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    server = subprocess.Popen(command, env={**os.environ, "PATH": path}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    output = server.communicate()[1][-3000:]
                    raise AssertionError(f"mlflow models serve did not start: {output}") from None
                time.sleep(0.5)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations",
                                         data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    finally:
        server.terminate()
        server.wait(timeout=30)
