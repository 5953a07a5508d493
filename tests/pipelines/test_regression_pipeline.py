"""The regression app end to end through a KedroSession, on tiny settings, into a temporary MLflow
store; and the real boston_housing and fuel_consumption files through a local HTTP mirror."""

import json
import subprocess
import sys

import keras
import mlflow
import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.pipeline_registry import register_pipelines
from tests.conftest import SHARED_DATASETS, write_sha256sums
from tests.helpers import (
    assert_recorded,
    execute_notebook,
    images_in,
    run_pipeline,
    same_predictions_from_the_registry,
    served_answer,
    top_run,
)

QUICK = {"training": {"epochs": 2, "verbose": 0}, "gradient_tape": {"epochs": 20}}
STAGES = ["regression_ingestion", "regression_preprocessing", "regression_training",
          "regression_evaluation"]


def run(project, pipeline, csv_path=None, **params):
    """``kedro run --pipelines=<pipeline> --params regression.<key>=...[,csv_path=<file>]``."""
    user_file = {"csv_path": csv_path} if csv_path else {}
    run_pipeline(project, pipeline, {"regression": {**QUICK, **params}, **user_file})


def served_matches_the_network(project, run_id, target):
    """The MLflow model predicts from raw feature rows what the network predicts from the
    transformed test arrays."""
    rows = pd.read_parquet(project / "data/05_model_input/regression/test_rows.parquet")
    model_input = np.load(project / "data/05_model_input/regression/model_input.npz")
    network = keras.saving.load_model(project / "data/06_models/regression/model.keras")
    served = mlflow.pyfunc.load_model(f"runs:/{run_id}/regression_model")
    features = rows.drop(columns=[target])
    assert served.metadata.get_input_schema().input_names() == list(features.columns)
    predicted = np.asarray(served.predict(features.head(8))).reshape(-1)
    expected = network.predict(model_input["x_test"][:8], verbose=0).reshape(-1)
    np.testing.assert_allclose(predicted, expected, rtol=1e-4, atol=1e-3)
    return served, features


def test_every_dataset_of_the_app_is_namespaced():
    # raw_files and user_csv are the project's two inputs from outside, shared by the apps.
    assert all(name.startswith(("regression.", "params:regression")) or name in ("raw_files", "user_csv")
               for name in register_pipelines()["regression"].datasets())


@pytest.mark.slow
def test_regression_pipeline_logs_metrics_artifacts_and_a_servable_model(project):
    run(project, "regression")
    row, metrics = top_run("regression")
    assert_recorded(row, "regression", "diabetes")
    for prefix in ("test", "baseline_test", "gradient_tape_test"):
        assert {f"regression.{prefix}_{name}" for name in ("mse", "mae", "r2")} <= set(metrics)
    assert 0.4 < metrics["regression.baseline_test_r2"] < 0.5  # least squares on diabetes
    assert {"regression.train_loss", "regression.val_loss", "regression.val_mae"} <= set(metrics)
    assert row["params.regression.training.epochs"] == "2"
    # The effective settings: the diabetes preset's, the run block's strategy; no placeholders.
    assert row["params.regression.model.l2"] == "0.01"
    assert row["params.regression.data.target"] == "progression"
    assert row["params.regression.training.strategy"] == "auto"
    client = mlflow.MlflowClient()
    assert [m.step for m in client.get_metric_history(row.run_id, "regression.val_loss")] == [0, 1]
    artifacts = {a.path for a in client.list_artifacts(row.run_id, "regression")}
    assert {"regression/learning_curves.png", "regression/predicted_vs_actual.png",
            "regression/residuals.png", "regression/weight_paths.png"} <= artifacts
    served, features = served_matches_the_network(project, row.run_id, "progression")
    assert features["age"].between(19, 79).all()  # raw values go in, not scaled ones
    with pytest.raises(Exception, match="bmi"):  # the signature names the missing column
        served.predict(features.drop(columns=["bmi"]))
    # Registered: the latest version, and the alias of its dataset, serve raw rows the same way.
    version = client.get_model_version_by_alias("dl_pipelines.regression", "diabetes")
    assert version.run_id == row.run_id and version.tags["dataset"] == "diabetes"
    registered = mlflow.pyfunc.load_model("models:/dl_pipelines.regression/latest")
    np.testing.assert_allclose(np.asarray(registered.predict(features.head(8))).reshape(-1),
                               np.asarray(served.predict(features.head(8))).reshape(-1), rtol=1e-6)
    answer = served_answer("models:/dl_pipelines.regression@diabetes",
                           {"dataframe_split": json.loads(features.head(3).to_json(orient="split"))})
    np.testing.assert_allclose(answer["predictions"], np.asarray(served.predict(features.head(3))), rtol=1e-5)
    # Models from code: the served model loads and predicts where dl_pipelines cannot be imported.
    features.head(3).to_csv(project / "rows.csv", index=False)
    script = ("import sys; sys.modules['dl_pipelines'] = None; import json, mlflow, pandas as pd; "
              f"model = mlflow.pyfunc.load_model('runs:/{row.run_id}/regression_model'); "
              f"rows = pd.read_csv({str(project / 'rows.csv')!r}); "
              "print(json.dumps([float(value) for value in model.predict(rows)]))")
    alone = subprocess.run([sys.executable, "-c", script], cwd=project.parent, capture_output=True,
                           text=True, timeout=300)
    assert alone.returncode == 0, alone.stderr[-2000:]
    np.testing.assert_allclose(json.loads(alone.stdout.strip().splitlines()[-1]),
                               np.asarray(served.predict(features.head(3))).reshape(-1), rtol=1e-5)

    # The notebook, headless, on these outputs.
    outputs = execute_notebook(project, "regression.ipynb")
    assert not [out for out in outputs if out.output_type == "error"]
    assert images_in(outputs) >= 4  # learning curves, predicted vs actual, residuals, w/b paths
    assert any("test R2" in out.get("text", "") for out in outputs)


@pytest.mark.slow
def test_linear_toy_recovers_w_and_b_both_ways(project):
    run(project, "regression", dataset="linear_toy", training={"epochs": 20, "verbose": 0},
        gradient_tape={"epochs": 500})
    row, metrics = top_run("regression")
    for way in ("keras", "gradient_tape"):
        assert metrics[f"regression.{way}_w"] == pytest.approx(2, abs=0.01)
        assert metrics[f"regression.{way}_b"] == pytest.approx(-1, abs=0.01)
    path = mlflow.MlflowClient().get_metric_history(row.run_id, "regression.train_w")
    assert [m.step for m in path] == list(range(20)) and path[-1].value == pytest.approx(2, abs=0.01)
    assert "regression.val_loss" not in metrics  # six points: no validation set
    served = mlflow.pyfunc.load_model(f"runs:/{row.run_id}/regression_model")
    prediction = np.asarray(served.predict(pd.DataFrame({"x": [10.0]}))).reshape(-1)
    assert prediction[0] == pytest.approx(19, abs=0.1)  # the course's question


@pytest.mark.slow
def test_each_stage_runs_alone_once_its_inputs_exist(project):
    for stage in STAGES:
        run(project, stage, training={"epochs": 1, "verbose": 0})
    assert (project / "data/08_reporting/regression/residuals.png").is_file()
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"])
    assert len(runs) == 4 and (runs["status"] == "FINISHED").all()


def test_a_stage_without_its_inputs_names_the_stage_to_run_first(project):
    # Checked before the run starts: the message names the stage to run first.
    missing = ("regression.model_input does not exist yet: "
               "run `kedro run --pipelines=regression_ingestion,regression_preprocessing")
    with pytest.raises(ConfigurationError, match=missing):
        run(project, "regression_training")


@pytest.mark.parametrize("params", [
    {"dataset": "housing"},
    {"dataset": "csv"},
    {"model": {"architecture": "deep", "dropout": 1.0}},
])
def test_bad_parameters_stop_before_any_node_runs(project, params):
    with pytest.raises(ConfigurationError):
        run(project, "regression", **params)
    assert not any(p.is_file() for p in (project / "data").rglob("*"))
    assert mlflow.search_runs(search_all_experiments=True).empty


def test_a_csv_file_that_does_not_exist_stops_before_the_run_writing_nothing(project):
    with pytest.raises(ConfigurationError, match="data/nowhere.csv does not exist; expected your CSV file"):
        run(project, "regression", csv_path="data/nowhere.csv", dataset="csv", data={"target": "y"})
    assert not any(p.is_file() for p in (project / "data").rglob("*"))
    assert mlflow.search_runs(search_all_experiments=True).empty


FLATS = pd.DataFrame({"area": np.arange(50.0, 90.0), "city": ["Lyon", "Nice"] * 20,
                      "price": np.arange(40) * 3.0 + 1})


def test_the_users_csv_comes_through_the_catalog_and_is_recorded(project):
    FLATS.to_csv(project / "data" / "flats.csv", index=False)
    run(project, "regression", csv_path="data/flats.csv", dataset="csv",
        data={"target": "price", "categorical": ["city"]})
    run_row, metrics = top_run("regression")
    assert run_row["status"] == "FINISHED" and "regression.test_r2" in metrics
    assert run_row["tags.dataset"] == "csv"
    assert run_row["tags.data_file"] == str(project / "data" / "flats.csv")
    table = pd.read_parquet(project / "data/05_model_input/regression/test_rows.parquet")
    assert list(table.columns) == ["area", "city", "price"] and len(table) == 8  # the 20% test rows


@pytest.mark.slow
def test_inference_predicts_new_rows_as_the_served_model_does(project):
    FLATS.to_csv(project / "data" / "flats.csv", index=False)
    run(project, "regression", csv_path="data/flats.csv", dataset="csv",
        data={"target": "price", "categorical": ["city"]})
    folder = project / "data/01_raw/inference/regression"
    folder.mkdir(parents=True)
    # Columns in any order, an extra one kept, and a city the training rows never had (Paris).
    new = pd.DataFrame({"city": ["Nice", "Lyon", "Paris"], "area": [55.0, 70.0, 65.0],
                        "note": ["a", "b", "c"]})
    new.to_csv(folder / "new_flats.csv", index=False)
    run(project, "regression_inference")
    same_predictions_from_the_registry(project, "regression", {"regression": QUICK})

    table = pd.read_csv(project / "data/07_model_output/regression/predictions.csv")
    assert list(table.columns) == ["file", "city", "area", "note", "prediction"]
    served = mlflow.pyfunc.load_model("models:/dl_pipelines.regression/latest")
    np.testing.assert_allclose(table["prediction"], served.predict(new[["area", "city"]]), rtol=1e-5)

    new.drop(columns="area").to_csv(folder / "new_flats.csv", index=False)
    with pytest.raises(ConfigurationError, match=r"new_flats.csv has no column 'area'; the model needs "
                                                 r"the columns of its training data: area, city"):
        run(project, "regression_inference")
    new.assign(area=["55", "big", "65"]).to_csv(folder / "new_flats.csv", index=False)
    with pytest.raises(ConfigurationError, match=r"Column 'area' of .*new_flats.csv is not numeric: "
                                                 r"data row 2 holds 'big'"):
        run(project, "regression_inference")


def test_a_bad_parameter_is_reported_in_one_line(project):
    # In this process: how `kedro run` prints it (one line, no traceback) is the cnn test's.
    with pytest.raises(ConfigurationError) as raised:
        run(project, "regression", model={"dropout": 1.5})
    assert str(raised.value) == ("Parameter regression.model.dropout=1.5 is invalid: "
                                 "Input should be less than 1.")


def test_kedro_run_reports_a_missing_target_column_in_one_line(project):
    FLATS.to_csv(project / "data" / "flats.csv", index=False)
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--pipelines=regression", "--params",
         "regression.dataset=csv,csv_path=data/flats.csv,regression.data.target=cost"],
        cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    expected = (f"Error: Column 'cost' (regression.data.target) is not in {project}/data/flats.csv "
                "(all 40 rows lack it); its columns are: area, city, price.")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# --- real data through a local mirror ----------------------------------------------------------


def build_boston_npz(housing_csv, target):
    """``boston_housing.npz`` as Keras publishes it: ``x`` (506 x 13) and ``y`` (506) of the
    StatLib rows in file order; ``load_data()`` shuffles and splits them when it reads them."""
    table = np.loadtxt(housing_csv, delimiter=",")
    assert table.shape == (506, 14)
    np.savez(target, x=table[:, :13], y=table[:, 13])


@pytest.fixture
def boston_mirror(http_mirror):
    source = SHARED_DATASETS / "boston_housing" / "housing.csv"
    if not source.is_file():
        pytest.skip("../shared/datasets/boston_housing is not available")
    url, folder = http_mirror
    (folder / "boston_housing").mkdir()
    build_boston_npz(source, folder / "boston_housing" / "boston_housing.npz")
    write_sha256sums(folder / "boston_housing")
    return url, source


@pytest.fixture
def fuel_mirror(http_mirror):
    source = SHARED_DATASETS / "fuel_consumption_co2" / "FuelConsumptionCo2.csv"
    if not source.is_file():
        pytest.skip("../shared/datasets/fuel_consumption_co2 is not available")
    url, folder = http_mirror
    (folder / "fuel_consumption").mkdir()
    (folder / "fuel_consumption" / source.name).symlink_to(source)  # no SHA256SUMS: none published
    return url


@pytest.mark.slow
def test_real_boston_housing_through_a_local_mirror(project, boston_mirror, monkeypatch):
    url, source = boston_mirror
    monkeypatch.setenv("DL_PIPELINES_DATA_MIRROR", url)
    # The file is rebuilt from the shared CSV, not the publisher's bytes: the mirror's checksum has
    # to be trusted explicitly, as a user of such a mirror would.
    monkeypatch.setenv("DL_PIPELINES_TRUST_MIRROR_CHECKSUMS", "1")
    run(project, "regression", dataset="boston_housing")
    assert (project / "data/01_raw/boston_housing/boston_housing.npz").is_file()
    row, metrics = top_run("regression")
    assert row["status"] == "FINISHED" and "regression.test_mae" in metrics
    model_input = np.load(project / "data/05_model_input/regression/model_input.npz")
    assert len(model_input["x_test"]) == 102
    assert len(model_input["x_train"]) + len(model_input["x_val"]) == 404
    # The test rows are those of keras.datasets.boston_housing.load_data(): shuffle seed 113.
    table = np.loadtxt(source, delimiter=",")
    indices = np.arange(506)
    np.random.RandomState(113).shuffle(indices)
    rows = pd.read_parquet(project / "data/05_model_input/regression/test_rows.parquet")
    np.testing.assert_allclose(rows["MEDV"], table[indices[404:], 13])
    served_matches_the_network(project, row.run_id, "MEDV")


@pytest.mark.slow
def test_real_fuel_consumption_through_a_local_mirror(project, fuel_mirror, monkeypatch):
    monkeypatch.setenv("DL_PIPELINES_DATA_MIRROR", fuel_mirror)
    run(project, "regression", dataset="fuel_consumption")
    raw = pd.read_parquet(project / "data/02_intermediate/regression/table.parquet")
    assert len(raw) == 1067  # the bare-CR line endings were read as 1,067 rows
    row, metrics = top_run("regression")
    assert row["status"] == "FINISHED"
    model_input = np.load(project / "data/05_model_input/regression/model_input.npz")
    assert {"FUELTYPE_D", "FUELTYPE_E", "FUELTYPE_X", "FUELTYPE_Z"} <= set(model_input["feature_names"])
    served, features = served_matches_the_network(project, row.run_id, "CO2EMISSIONS")
    assert set(features["FUELTYPE"]) <= {"D", "E", "X", "Z"}  # raw text categories go in
    # Rows straight from the course file (whole-number CYLINDERS, text FUELTYPE) are accepted.
    course_rows = pd.read_csv(SHARED_DATASETS / "fuel_consumption_co2" / "FuelConsumptionCo2.csv")
    predicted = np.asarray(served.predict(course_rows[features.columns].head(3))).reshape(-1)
    assert predicted.shape == (3,) and np.isfinite(predicted).all()
