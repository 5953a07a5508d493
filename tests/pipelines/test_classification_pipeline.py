"""The classification app end to end through a KedroSession, on tiny settings, into a temporary
MLflow store; and the real ionosphere file through a local HTTP mirror."""

import json

import mlflow
import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.pipeline_registry import register_pipelines
from tests.conftest import SHARED_DATASETS
from tests.helpers import (
    assert_recorded,
    execute_notebook,
    images_in,
    run_pipeline,
    same_predictions_from_the_registry,
    top_run,
)

QUICK = {"training": {"epochs": 2, "verbose": 0}, "cross_validation": {"folds": 2}}


def run(project, pipeline, csv_path=None, **params):
    """``kedro run --pipelines=<pipeline> --params classification.<key>=...[,csv_path=<file>]``."""
    user_file = {"csv_path": csv_path} if csv_path else {}
    run_pipeline(project, pipeline, {"classification": {**QUICK, **params}, **user_file})


def test_every_dataset_of_the_app_is_namespaced():
    # raw_files and user_csv are the project's two inputs from outside, shared by the apps.
    names = register_pipelines()["classification"].datasets()
    assert all(name.startswith(("classification.", "params:classification"))
               or name in ("raw_files", "user_csv") for name in names)


@pytest.mark.slow
def test_xor_is_classified_perfectly_with_its_decision_boundary_in_the_run(project):
    # The preset's training (the four points need it), two folds instead of four.
    run(project, "classification", training={"verbose": 0})
    row, metrics = top_run("classification")
    assert_recorded(row, "classification", "xor")
    assert metrics["classification.test_accuracy"] == 1.0 and metrics["classification.test_roc_auc"] == 1.0
    assert metrics["classification.cv_accuracy_mean"] == 1.0
    assert metrics["classification.baseline_test_accuracy"] <= 0.75  # no line separates XOR
    assert {"classification.cv_accuracy_std", "classification.baseline_cv_accuracy_mean",
            "classification.baseline_cv_accuracy_std", "classification.test_f1_class_1",
            "classification.val_accuracy"} <= set(metrics)
    assert row["params.classification.model.units"] == "[8]"
    client = mlflow.MlflowClient()
    artifacts = {a.path for a in client.list_artifacts(row.run_id, "classification")}
    assert {f"classification/{name}" for name in (
        "decision_boundary.png", "confusion_matrix.png", "learning_curves.png", "cross_validation.png",
        "classification_report.csv", "cross_validation_report.csv")} <= artifacts
    folds = mlflow.search_runs(experiment_names=["dl_pipelines"],
                               filter_string=f"tags.mlflow.parentRunId = '{row.run_id}'")
    assert sorted(folds["tags.mlflow.runName"]) == ["fold 1", "fold 2"]

    # The served model: raw rows in, a probability per class out; registered under its dataset.
    served = mlflow.pyfunc.load_model("models:/dl_pipelines.classification@xor")
    points = pd.DataFrame({"x1": [0.0, 0.0, 1.0, 1.0], "x2": [0.0, 1.0, 0.0, 1.0]})
    probabilities = served.predict(points)
    assert list(probabilities.columns) == ["0", "1"]
    assert probabilities.idxmax(axis=1).tolist() == ["0", "1", "1", "0"]

    # Inference scores the user's files, the same from the registered training.
    folder = project / "data/01_raw/inference/classification"
    folder.mkdir(parents=True)
    points.assign(note="corner").to_csv(folder / "corners.csv", index=False)
    run_pipeline(project, "classification_inference", {})
    table = pd.read_csv(project / "data/07_model_output/classification/predictions.csv")
    assert list(table.columns) == ["file", "x1", "x2", "note", "predicted_class", "probability_0",
                                   "probability_1"]
    assert table["predicted_class"].tolist() == [0, 1, 1, 0]
    same_predictions_from_the_registry(project, "classification", {})

    outputs = execute_notebook(project, "classification.ipynb")
    assert not [out for out in outputs if out.output_type == "error"]
    assert images_in(outputs) >= 4  # learning curves, confusion matrix, decision boundary, folds
    assert any("cross-validated accuracy" in out.get("text", "") for out in outputs)


FLOWERS = pd.DataFrame({"size": np.arange(40.0), "colour": ["red", "blue"] * 20,
                        "kind": ["short"] * 20 + ["tall"] * 20})


@pytest.mark.slow
def test_the_users_csv_is_classified_and_recorded(project):
    FLOWERS.to_csv(project / "data" / "flowers.csv", index=False)
    run(project, "classification", csv_path="data/flowers.csv", dataset="csv",
        data={"target": "kind", "categorical": ["colour"]})
    row, metrics = top_run("classification")
    assert_recorded(row, "classification", "csv")
    assert row["tags.data_file"] == str(project / "data" / "flowers.csv")
    assert "classification.cv_accuracy_mean" in metrics and "classification.test_roc_auc" in metrics
    rows = pd.read_parquet(project / "data/05_model_input/classification/test_rows.parquet")
    assert list(rows.columns) == ["size", "colour", "kind"]
    assert sorted(rows["kind"]) == ["short"] * 4 + ["tall"] * 4  # stratified: 20% of each class
    served = mlflow.pyfunc.load_model(f"runs:/{row.run_id}/classification_model")
    assert served.metadata.get_input_schema().input_names() == ["size", "colour"]
    assert list(served.predict(rows.drop(columns="kind")).columns) == ["short", "tall"]

    # The optimizer comparison is a sweep: a nested run per optimizer, one figure of their losses.
    run(project, "classification_sweep", csv_path="data/flowers.csv", dataset="csv",
        data={"target": "kind", "categorical": ["colour"]},
        sweep={"grid": {"training.optimizer": ["sgd", "adam"]}, "epochs": 2})
    parent, _ = top_run("classification_sweep")
    children = mlflow.search_runs(experiment_names=["dl_pipelines"],
                                  filter_string=f"tags.mlflow.parentRunId = '{parent.run_id}'")
    assert sorted(children["tags.mlflow.runName"]) == ["training.optimizer=adam", "training.optimizer=sgd"]
    assert children["metrics.classification.val_loss"].notna().all()
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(parent.run_id, "classification")}
    assert {"classification/sweep.png", "classification/sweep_report.csv"} <= artifacts
    report = pd.read_csv(project / "data/08_reporting/classification/sweep_report.csv")
    assert report["training.optimizer"].tolist() == ["sgd", "adam"] and (report["epochs"] == 2).all()


def test_a_csv_target_column_that_is_missing_stops_in_one_line(project):
    FLOWERS.to_csv(project / "data" / "flowers.csv", index=False)
    with pytest.raises(ConfigurationError) as error:
        run(project, "classification", csv_path="data/flowers.csv", dataset="csv", data={"target": "height"})
    assert str(error.value) == (f"Column 'height' (classification.data.target) is not in {project}/data/"
                                "flowers.csv (all 40 rows lack it); its columns are: size, colour, kind.")


@pytest.mark.parametrize("params", [
    {"dataset": "wine"},
    {"dataset": "csv"},
    {"cross_validation": {"folds": 1}},
])
def test_bad_parameters_stop_before_any_node_runs(project, params):
    with pytest.raises(ConfigurationError):
        run(project, "classification", **params)
    assert not any(p.is_file() for p in (project / "data").rglob("*"))
    assert mlflow.search_runs(search_all_experiments=True).empty


# --- real data through a local mirror ----------------------------------------------------------


@pytest.fixture
def ionosphere_mirror(http_mirror):
    """A local HTTP mirror of the real UCI file (symlinked, never copied into the repository), with
    no SHA256SUMS: the publisher's checksum pinned in the catalog is the one checked."""
    source = SHARED_DATASETS / "ionosphere" / "ionosphere.csv"
    if not source.is_file():
        pytest.skip("../shared/datasets/ionosphere is not available")
    url, folder = http_mirror
    (folder / "ionosphere").mkdir()
    (folder / "ionosphere" / "ionosphere.data").symlink_to(source)
    return url


@pytest.mark.slow
def test_real_ionosphere_through_a_local_mirror(project, ionosphere_mirror, monkeypatch):
    monkeypatch.setenv("DL_PIPELINES_DATA_MIRROR", ionosphere_mirror)
    run(project, "classification", dataset="ionosphere")
    assert (project / "data/01_raw/ionosphere/ionosphere.data").is_file()
    row, metrics = top_run("classification")
    assert_recorded(row, "classification", "ionosphere")
    model_input = np.load(project / "data/05_model_input/classification/model_input.npz")
    assert list(model_input["class_names"]) == ["b", "g"] and len(model_input["x_test"]) == 71
    assert model_input["x_train"].shape[1] == 34
    report = pd.read_csv(project / "data/08_reporting/classification/cross_validation_report.csv")
    assert report["test_rows"].sum() == 351
    assert 0.8 < metrics["classification.baseline_cv_accuracy_mean"] < 0.95  # logistic regression
    assert json.loads((project / "data/06_models/classification/class_names.json").read_text()) == ["b", "g"]
