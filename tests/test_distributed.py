"""Distributed training on CPU, for real: the cnn app and the rbm app (a custom CD-k training step)
trained with ``mirrored`` over 2 logical CPU devices and with ``multi_worker`` as 2 local worker
processes talking over 127.0.0.1 (``TF_CONFIG``), each compared with the single-device run.

Every run is a ``kedro run`` process of its own: TensorFlow fixes its devices when it starts.
The single-device run uses the same global batch as the 2-replica runs (each replica gets half),
so all three take the same optimisation steps and should reach the same test metric.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import mlflow
import pytest

pytestmark = pytest.mark.slow

CNN = {"cnn.model.architecture": "dense", "cnn.training.epochs": 8,
       "cnn.training.early_stopping_patience": 0, "cnn.training.verbose": 2}
RBM = {"rbm.synthetic.users": 400, "rbm.synthetic.items": 80, "rbm.synthetic.genres": 5,
       "rbm.synthetic.ratings_per_user": 15, "rbm.training.epochs": 10,
       "rbm.training.learning_rate": 0.05, "rbm.training.verbose": 2}
# (app, its parameters, the global batch, the test metric compared, tolerance)
APPS = {
    "cnn": (CNN, 64, "cnn.test_accuracy", 0.03),
    "rbm": (RBM, 32, "rbm.test_precision_at_10", 0.03),
}


def kedro_run(project, app, params, *, batch_size, strategy="auto", env=None):
    """Start ``kedro run --pipelines=<app>`` in the project copy; return the process."""
    settings = {**params, f"{app}.training.strategy": strategy,
                f"{app}.training.batch_size": batch_size}
    command = [sys.executable, "-m", "kedro", "run", f"--pipelines={app}", "--params",
               ",".join(f"{key}={value}" for key, value in settings.items())]
    # COLUMNS: wide enough that Kedro's rich log keeps each message on one line.
    return subprocess.Popen(command, cwd=project, env={**os.environ, "COLUMNS": "250", **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process, timeout=600):
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-3000:]
    return output


def runs(app):
    """The finished MLflow runs of ``app`` in the test's store, oldest first."""
    found = mlflow.search_runs(experiment_names=["dl_pipelines"], order_by=["start_time ASC"])
    return found[found["tags.mlflow.runName"] == app]


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.mark.parametrize("app", list(APPS))
def test_mirrored_and_multi_worker_match_the_single_device_run(project, app):
    params, batch, metric, tolerance = APPS[app]
    finish(kedro_run(project, app, params, batch_size=batch))

    output = finish(kedro_run(project, app, params, batch_size=batch // 2, strategy="mirrored",
                              env={"DL_PIPELINES_LOGICAL_CPUS": "2"}))
    assert "training on 2 logical CPU devices" in output

    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    processes = [
        kedro_run(project, app, params, batch_size=batch // 2, strategy="multi_worker", env={
            "TF_CONFIG": json.dumps({"cluster": {"worker": workers},
                                     "task": {"type": "worker", "index": index}})})
        for index in range(2)
    ]
    outputs = [finish(process) for process in processes]
    assert "is not the chief" in outputs[1] and "is not the chief" not in outputs[0]
    # Its scratch folder (MLflow records, data, backups nobody reads) is gone once the run ended.
    scratch = re.search(r"data go to\s+(\S+/dl_pipelines_worker_1_\w{8})\b", outputs[1]).group(1)
    assert Path(scratch).parent == Path(tempfile.gettempdir()) and not Path(scratch).exists()

    # One MLflow run each: the non-chief worker logged nothing into the shared store.
    single, mirrored, multi_worker = (row for _, row in runs(app).iterrows())
    assert len(runs(app)) == 3
    assert [row[f"tags.{app}.replicas"] for row in (single, mirrored, multi_worker)] == ["1", "2", "2"]
    assert [row[f"tags.{app}.strategy"] for row in (single, mirrored, multi_worker)] == [
        "cpu", "mirrored", "multi_worker"]
    # steps_per_execution auto: 16 on one device, 1 with several replicas (core/training.py).
    assert [row[f"tags.{app}.steps_per_execution"] for row in (single, mirrored, multi_worker)] == [
        "16", "1", "1"]
    for row in (mirrored, multi_worker):
        assert row[f"metrics.{metric}"] == pytest.approx(single[f"metrics.{metric}"], abs=tolerance)


def test_the_gpu_environment_runs_on_a_cpu_machine_with_one_warning(project):
    """`kedro run --env=gpu`: mirrored strategy and mixed precision, which this machine lacks."""
    command = [sys.executable, "-m", "kedro", "run", "--env=gpu", "--pipeline=cnn", "--params",
               "cnn.dataset=digits,cnn.model.architecture=dense,cnn.training.epochs=1"]
    done = subprocess.run(command, cwd=project, env={**os.environ, "COLUMNS": "250"},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    warnings = [line.split("WARNING", 1)[1].strip() for line in done.stdout.splitlines()
                if " WARNING " in line]
    ours = [w for w in warnings if "site-packages" not in w]  # not a library's import-time notice
    assert len(ours) == 1 and ours[0].startswith(
        "No GPU on this machine: training on the CPU in float32 (strategy 'mirrored' and precision "
        "'mixed_float16' asked for GPUs)."), warnings
    run = runs("cnn").iloc[0]
    assert run["params.cnn.training.strategy"] == "mirrored"
    assert run["params.cnn.training.precision"] == "mixed_float16"
    # `kedro run` ends without the interpreter's teardown (dl_pipelines.cli): the run must still
    # be complete in the store, with the artifacts written by the last nodes.
    assert run["status"] == "FINISHED" and run["metrics.cnn.test_accuracy"] > 0
    client = mlflow.MlflowClient()
    logged = {item.path for item in client.list_artifacts(run["run_id"], "cnn")}
    assert {"cnn/learning_curves.png", "cnn/confusion_matrix.png", "cnn/misclassified.png"} <= logged
