"""The project's hooks as a session registers them."""

import mlflow
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro_mlflow.framework.hooks import MlflowHook

from dl_pipelines.hooks import BatchedMlflowHook
from tests.helpers import base_params, run_pipeline


def test_one_mlflow_hook_the_batched_one(project):
    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        hooks = [hook for hook in session._hook_manager.get_plugins() if isinstance(hook, MlflowHook)]
    assert [type(hook) for hook in hooks] == [BatchedMlflowHook]


def test_parameters_are_logged_once_each_in_batches(project, monkeypatch):
    calls = []
    original = mlflow.log_params
    monkeypatch.setattr(mlflow, "log_params",
                        lambda params, **kw: calls.append(params) or original(params, **kw))
    monkeypatch.setattr(mlflow, "log_param", lambda *a, **kw: calls.append(a))
    run_pipeline(project, "regression_ingestion", {"regression": base_params("regression")})
    assert calls and all(isinstance(call, dict) for call in calls)  # no one-by-one calls
    keys = [key for call in calls for key in call]
    assert len(keys) == len(set(keys))  # each parameter once, though every node takes them
    (run,) = mlflow.search_runs(experiment_names=["dl_pipelines"], output_format="list")
    assert run.data.params["regression.seed"] == "42"


def test_the_run_is_not_restarted_before_every_node(project, monkeypatch):
    """kedro-mlflow restarts the run before each node (for threaded runners); in the sequential
    runner the run is already active, and restarting it cost 3 database calls per node."""
    starts = []
    original = mlflow.start_run
    monkeypatch.setattr(mlflow, "start_run", lambda *a, **kw: starts.append(kw) or original(*a, **kw))
    run_pipeline(project, "regression_ingestion", {"regression": base_params("regression")})
    assert len(starts) == 1  # the run's start, before the pipeline
    (run,) = mlflow.search_runs(experiment_names=["dl_pipelines"], output_format="list")
    assert run.info.status == "FINISHED" and run.data.params["regression.seed"] == "42"
