"""The project's hooks as a session registers them: effective settings, one MLflow run per app."""

import re

import mlflow
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro_mlflow.framework.hooks import MlflowHook

from dl_pipelines.config_loader import RUNTIME_KEYS
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import StandardTraining
from dl_pipelines.hooks import AppRunsHook, kedro_command
from tests.conftest import PROJECT_ROOT
from tests.helpers import run_pipeline


def test_kedro_mlflow_runs_once_inside_the_app_runs_hook(project):
    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        plugins = session._hook_manager.get_plugins()
    assert not [hook for hook in plugins if isinstance(hook, MlflowHook)]  # the plugin's own is off
    assert len([hook for hook in plugins if isinstance(hook, AppRunsHook)]) == 1


def test_context_params_are_the_effective_settings(project):
    bootstrap_project(project)
    changes = {"cnn": {"dataset": "mnist", "training": {"epochs": 3}}}
    with KedroSession.create(project_path=project, runtime_params=changes) as session:
        context = session.load_context()
        cnn = context.params["cnn"]
        training = context.catalog.load("params:cnn.training")
    assert "presets" not in cnn and cnn["model"].filters == 32  # the MNIST preset's, typed by Kedro
    assert isinstance(training, StandardTraining)
    assert training.epochs == 3 and training.batch_size == 128 and training.strategy == "auto"


@pytest.mark.parametrize(("changes", "message"), [
    ({"regresion": {"dataset": "linear_toy"}}, "Parameter regresion is not known; did you mean regression?"),
    ({"epochs": 3}, "Parameter epochs is not known; expected an app (cnn, "),
])
def test_a_misspelled_app_in_params_stops_in_one_line(project, changes, message):
    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params=changes) as session:
        with pytest.raises(ConfigurationError, match=re.escape(message)):
            session.load_context().config_loader["parameters"]


def test_the_runtime_only_params_are_those_the_configuration_reads():
    read = set(re.findall(r"\$\{runtime_params:(\w+)", "".join(
        path.read_text() for path in (PROJECT_ROOT / "conf").rglob("*.yml"))))
    assert read == set(RUNTIME_KEYS)


@pytest.mark.parametrize(("pipeline", "params", "message"), [
    ("classification_sweep", {},
     "classification.model_input does not exist yet: run `kedro run --pipelines="
     "classification_ingestion,classification_preprocessing` first (or the whole "),
    ("hopfield_inference", {},
     "hopfield.model_input, hopfield.network do not exist yet: run `kedro run "
     "--pipelines=hopfield_ingestion,hopfield_preprocessing,hopfield_training` first"),
    # Every stage the missing inputs need, and where the data lives: the hint is the command to run.
    ("regression_evaluation", {"data_root": "elsewhere"},
     "`kedro run --pipelines=regression_ingestion,regression_preprocessing,regression_training --params "
     "data_root=elsewhere` first (or the whole app, --pipelines=regression --params data_root=elsewhere)."),
])
def test_a_stage_whose_inputs_are_not_written_yet_stops_before_any_work(project, pipeline, params, message):
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        run_pipeline(project, pipeline, params)
    assert mlflow.search_runs(experiment_names=["dl_pipelines"]).empty
    assert not any((project / "data").iterdir())


@pytest.mark.parametrize(("pipeline", "changes", "hint"), [
    ("regression_ingestion", {"csv_path": "flats.csv"}, "add --params regression.dataset=csv."),
    ("language_model_ingestion", {"text_path": "book.txt"}, "add --params language_model.dataset=text."),
])
def test_a_file_the_app_does_not_read_stops_the_run(project, pipeline, changes, hint):
    # Else the file is ignored and the run trains the app's default dataset.
    with pytest.raises(ConfigurationError, match=re.escape(hint)):
        run_pipeline(project, pipeline, changes)
    assert mlflow.search_runs(experiment_names=["dl_pipelines"]).empty
    run_pipeline(project, "hopfield_ingestion", changes)  # a stage that reads no file: harmless


def test_a_stage_alone_refuses_a_model_input_of_another_dataset(project):
    # After a linear_toy run, a plain stage run would treat that data with the diabetes preset
    # (a sweep: for hours); it stops before any MLflow run instead, naming both ways on.
    run_pipeline(project, "regression", {"regression": {"dataset": "linear_toy", "training": {"epochs": 1}}})
    before = len(mlflow.search_runs(experiment_names=["dl_pipelines"]))
    expected = ("regression.model_input was made from 'linear_toy', but regression.dataset is 'diabetes': "
                "run `kedro run --pipelines=regression_ingestion,regression_preprocessing --params "
                "regression.dataset=diabetes` first, or add --params regression.dataset=linear_toy.")
    for pipeline in ("regression_training", "regression_sweep", "regression_evaluation"):
        with pytest.raises(ConfigurationError, match=re.escape(expected)):
            run_pipeline(project, pipeline, {})
    assert len(mlflow.search_runs(experiment_names=["dl_pipelines"])) == before
    run_pipeline(project, "regression_evaluation", {"regression": {"dataset": "linear_toy"}})


def test_the_recorded_command_has_the_params_and_the_environment():
    changes = {"cnn": {"dataset": "mnist", "training": {"epochs": 3}}, "csv_path": "a b.csv"}
    run_params = {"pipeline_names": ["cnn"], "tags": None, "env": "gpu", "runtime_params": changes}
    expected = ("kedro run --pipelines=cnn --env=gpu --params "
                "'cnn.dataset=mnist,cnn.training.epochs=3,csv_path=a b.csv'")
    assert kedro_command(run_params) == expected


def test_a_run_of_several_apps_has_one_child_run_per_app(project):
    run_pipeline(project, ["regression_ingestion", "lstm_ingestion"], {})
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"])
    parent = runs[runs["tags.mlflow.parentRunId"].isna()]
    assert len(parent) == 1 and "tags.app" not in parent or parent["tags.app"].isna().all()
    # The command that made the run, and the runner's name (not an object's repr).
    assert parent.iloc[0]["tags.kedro_command"] == "kedro run --pipelines=regression_ingestion,lstm_ingestion"
    assert parent.iloc[0]["tags.runner"] == "SequentialRunner"
    children = runs[runs["tags.mlflow.parentRunId"] == parent.iloc[0].run_id]
    assert sorted(children["tags.app"]) == ["lstm", "regression"]
    assert sorted(children["tags.mlflow.runName"]) == ["lstm", "regression"]
    assert (runs["status"] == "FINISHED").all()
    (regression,) = mlflow.search_runs(experiment_names=["dl_pipelines"], output_format="list",
                                       filter_string="tags.app = 'regression'")
    assert regression.data.tags["dataset"] == "diabetes"
    assert regression.data.params["regression.dataset"] == "diabetes"
    assert not [key for key in regression.data.params if key.startswith("lstm.")]
    (lstm,) = mlflow.search_runs(experiment_names=["dl_pipelines"], output_format="list",
                                 filter_string="tags.app = 'lstm'")
    assert lstm.data.params["lstm.generated.length"] == "1000"


def test_an_app_that_fails_leaves_a_failed_run(project, monkeypatch):
    from dl_pipelines.core import images

    def broken(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(images, "load_image_dataset", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run_pipeline(project, ["regression_ingestion", "cnn_ingestion"], {})
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"])
    statuses = dict(zip(runs["tags.mlflow.runName"], runs["status"], strict=True))
    assert statuses["cnn"] == "FAILED"
    assert statuses.get("regression", "FINISHED") == "FINISHED"  # it may have run first
    assert list(runs.loc[runs["tags.mlflow.parentRunId"].isna(), "status"]) == ["FAILED"]
