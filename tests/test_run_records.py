"""MLflow records that tell how a run ended, with real `kedro run` processes: a run killed with
`kill -9` is marked FAILED by the next run, which resumes from its checkpoint and is tagged with the
run it continues; Ctrl-C records that one as KILLED."""

import os
import signal
import subprocess
import sys
import time

import mlflow
import pytest

# A training that would last for hours, backing up after every epoch.
ENDLESS = ("regression.training.epochs=100000,regression.training.early_stopping_patience=0,"
           "run.checkpoint_every=1,run.verbose=0")


def start_training(project):
    return subprocess.Popen([sys.executable, "-m", "kedro", "run", "--pipelines=regression", "--params",
                             ENDLESS], cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def wait_for(condition, process, seconds=300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (found := condition()):
            return found
        if process.poll() is not None:
            pytest.fail(f"kedro run ended early ({process.returncode}): {process.stderr.read()}")
        time.sleep(0.5)
    pytest.fail(f"nothing happened within {seconds} s")


def runs():
    return mlflow.search_runs(experiment_names=["dl_pipelines"], output_format="list")


@pytest.mark.slow
def test_killed_runs_are_failed_later_resumed_runs_say_so_and_ctrl_c_is_killed(project):
    backups = project / "data/06_models/checkpoints/regression"
    first = start_training(project)
    wait_for(lambda: list(backups.glob("*/mlflow_run.json")), first)
    first.kill()  # SIGKILL: no handler runs, the run stays RUNNING
    first.wait()
    (left,) = runs()
    assert left.info.status == "RUNNING"

    second = start_training(project)
    resumed = wait_for(lambda: [run for run in runs()
                                if "dl_pipelines.resumed_from_run" in run.data.tags], second)
    os.kill(second.pid, signal.SIGINT)  # Ctrl-C
    _, stderr = second.communicate(timeout=120)
    # The whole output on failure: a Ctrl-C landing inside TensorFlow once printed tracebacks here.
    assert second.returncode == 130, stderr
    assert "recorded as KILLED; a training checkpoint (after epoch" in stderr, stderr
    assert "Traceback" not in stderr, stderr

    by_id = {run.info.run_id: run for run in runs()}
    failed, killed = by_id[left.info.run_id], by_id[resumed[0].info.run_id]
    assert failed.info.status == "FAILED"
    assert f"process {first.pid} on " in failed.data.tags["dl_pipelines.end"]
    assert killed.info.status == "KILLED"
    assert killed.data.tags["dl_pipelines.resumed_from_run"] == left.info.run_id
    assert list(backups.glob("*/mlflow_run.json"))  # the checkpoint is kept for the next run


@pytest.mark.slow
def test_two_runs_started_together_in_a_fresh_project_are_both_recorded(project):
    assert not (project / "mlflow.db").exists()
    env = {key: value for key, value in os.environ.items() if key != "MLFLOW_TRACKING_URI"}
    apps = {"regression": "regression.training.epochs=2", "lstm": "lstm.training.epochs=2"}
    processes = [subprocess.Popen([sys.executable, "-m", "kedro", "run", f"--pipelines={app}", "--params",
                                   params], cwd=project, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for app, params in apps.items()]
    errors = [process.communicate(timeout=600)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], errors
    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
    recorded = {run.data.tags["app"]: run.info.status for run in runs()}
    assert recorded == {"regression": "FINISHED", "lstm": "FINISHED"}
