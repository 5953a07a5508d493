"""The lstm app end to end through a KedroSession, on tiny settings, into a temporary MLflow store."""

import subprocess
import sys

import keras
import mlflow
import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.pipelines.lstm.models import extrapolate
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

QUICK = {"generated": {"length": 300}, "training": {"epochs": 2, "verbose": 0},
         "forecast": {"extrapolation_steps": 10}}
STAGES = ["lstm_ingestion", "lstm_preprocessing", "lstm_training", "lstm_evaluation"]
FIGURES = {"lstm/learning_curves.png", "lstm/forecast.png", "lstm/test_span.png",
           "lstm/extrapolation.png"}


def run(project, pipeline, csv_path=None, **params):
    """``kedro run --pipelines=<pipeline> --params lstm.<key>=...[,csv_path=<file>]``."""
    user_file = {"csv_path": csv_path} if csv_path else {}
    run_pipeline(project, pipeline, {"lstm": {**QUICK, **params}, **user_file})


@pytest.mark.slow
def test_lstm_pipeline_logs_metrics_artifacts_and_a_servable_model(project):
    run(project, "lstm")
    run_row, metrics = top_run("lstm")
    assert_recorded(run_row, "lstm", "logistic_map")
    for name in ("mse", "mae", "mase", "multi_step_mase"):
        for prefix in ("", "baseline_", "seasonal_naive_", "ets_"):
            assert f"lstm.{prefix}test_{name}" in metrics
    assert {"lstm.train_loss", "lstm.val_loss", "lstm.train_mae",
            "lstm.test_extrapolation_mse"} <= set(metrics)
    # Two epochs do not learn the map yet, but already beat persistence on the chaotic series.
    assert metrics["lstm.test_mse"] < metrics["lstm.baseline_test_mse"]
    assert run_row["params.lstm.training.epochs"] == "2"
    # The effective settings: the logistic_map preset's window, the run block's strategy; no placeholders.
    assert run_row["params.lstm.preprocessing.time_steps"] == "4"
    assert run_row["params.lstm.training.strategy"] == "auto"

    client = mlflow.MlflowClient()
    assert [m.step for m in client.get_metric_history(run_row.run_id, "lstm.val_loss")] == [0, 1]
    artifacts = {a.path for a in client.list_artifacts(run_row.run_id, "lstm")}
    assert FIGURES | {"lstm/test_forecasts_report.csv"} <= artifacts

    model_input = np.load(project / "data/05_model_input/lstm/model_input.npz")
    windows = model_input["x_test"][:8].astype("float32")  # raw values: the model scales them
    uri = f"runs:/{run_row.run_id}/lstm_forecaster"
    served = mlflow.pyfunc.load_model(uri)
    assert served.metadata.get_input_schema().inputs[0].shape == (-1, 4, 1)
    predicted = np.asarray(served.predict(windows))
    assert predicted.shape == (8, 1, 1)
    forecasts = np.load(project / "data/07_model_output/lstm/forecasts.npz")
    np.testing.assert_allclose(predicted, forecasts["pred_test"][:8], rtol=1e-4, atol=1e-6)
    answer = served_answer("models:/dl_pipelines.lstm/latest", {"inputs": windows[:2].tolist()})
    np.testing.assert_allclose(answer["predictions"], predicted[:2], rtol=1e-5)

    # The notebook, headless, on these outputs.
    outputs = execute_notebook(project, "lstm.ipynb")
    assert images_in(outputs) >= 4  # learning curves, overview, test span, extrapolation
    assert any("test MSE" in out.get("text", "") for out in outputs)


@pytest.mark.slow
def test_each_stage_runs_alone_once_its_inputs_exist(project):
    for stage in STAGES:
        run(project, stage, dataset="noisy_sine",
            preprocessing={"time_steps": 10}, training={"epochs": 1, "verbose": 0})
    assert (project / "data/08_reporting/lstm/extrapolation.png").is_file()
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"])
    assert len(runs) == 4 and (runs["status"] == "FINISHED").all()


def test_a_stage_without_its_inputs_names_the_stage_to_run_first(project):
    # Checked before the run starts: the message names the stage to run first.
    missing = ("lstm.model_input does not exist yet: "
               "run `kedro run --pipelines=lstm_ingestion,lstm_preprocessing`")
    with pytest.raises(ConfigurationError, match=missing):
        run(project, "lstm_training")


@pytest.mark.parametrize("params", [
    {"dataset": "bitcoin"},
    {"preprocessing": {"time_steps": 500}},
    {"dataset": "csv"},  # no csv_path
])
def test_bad_parameters_stop_before_any_node_runs(project, params):
    with pytest.raises(ConfigurationError):
        run(project, "lstm", **params)
    assert not any(p.is_file() for p in (project / "data").rglob("*"))
    assert mlflow.search_runs(search_all_experiments=True).empty


BAD_PRICES = "date,price\n" + "".join(f"2021-01-{d:02d},{d}\n" for d in range(1, 29)) + "2021-02-01,n/a?\n"


@pytest.mark.parametrize("path, culprit, runs_left", [
    # The ingestion node, the first, reads and checks the file: nothing is computed or written,
    # and the MLflow run that kedro-mlflow opened records the failure without a metric.
    ("data/prices.csv", r"data/prices.csv: value column 'price' has a non-numeric value 'n/a\?' \(line 30\)",
     ["FAILED"]),
    # A file that is not there is found before the run starts: no MLflow run at all.
    ("data/missing.csv", "data/missing.csv does not exist; expected your CSV file: --params csv_path=", []),
])
def test_a_bad_csv_stops_at_ingestion_before_anything_is_written(project, path, culprit, runs_left):
    (project / "data" / "prices.csv").write_text(BAD_PRICES)
    with pytest.raises(ConfigurationError, match=culprit):
        run(project, "lstm", csv_path=path, dataset="csv")
    assert [p.name for p in (project / "data").rglob("*") if p.is_file()] == ["prices.csv"]
    runs = mlflow.search_runs(search_all_experiments=True)
    assert runs.get("status", pd.Series(dtype=str)).tolist() == runs_left
    assert not [key for key in runs if key.startswith("metrics.") and runs[key].notna().any()]


def sales(months, start):
    """A positive monthly series with trend and yearly season, as a CSV table."""
    t = np.arange(months)
    return pd.DataFrame({"date": pd.date_range(start, periods=months, freq="MS").strftime("%Y-%m-%d"),
                         "sales": 50 + 0.3 * t + 8 * np.sin(2 * np.pi * t / 12)})


@pytest.mark.slow
def test_inference_forecasts_what_follows_the_latest_history_with_dates(project):
    sales(120, "2010-01-01").to_csv(project / "data" / "sales.csv", index=False)
    run(project, "lstm", csv_path="data/sales.csv", dataset="csv",
        preprocessing={"time_steps": 6, "horizon": 2, "transform": "log", "differencing": "both"})
    metrics = top_run("lstm")[1]
    assert metrics["lstm.season"] == 12 and metrics["lstm.multi_step_horizon"] == 12
    assert {"lstm.seasonal_naive_test_mase", "lstm.ets_test_multi_step_mase",
            "lstm.start_last_value_weight", "lstm.start_weight_sum"} <= set(metrics)
    folder = project / "data/01_raw/inference/lstm"
    folder.mkdir(parents=True)
    latest = sales(30, "2021-01-01").assign(store="Lyon")
    latest.to_csv(folder / "latest.csv", index=False)
    run(project, "lstm_inference")
    same_predictions_from_the_registry(project, "lstm", {"lstm": QUICK})

    table = pd.read_csv(project / "data/07_model_output/lstm/predictions.csv")
    assert list(table.columns) == ["file", "step", "time", "sales", "sales_direct"]
    future = pd.date_range("2023-07-01", periods=10, freq="MS").strftime("%Y-%m-%d")
    assert table["time"].tolist() == future.tolist()
    # The model reads 6 values after differencing at lags 12 and 1: 19 raw months.
    model = keras.saving.load_model(project / "data/06_models/lstm/model.keras")
    window = latest[["sales"]].to_numpy()[-19:]
    np.testing.assert_allclose(table["sales"], extrapolate(model, window, 10)[:, 0], rtol=1e-4)
    direct = model.predict(window[None].astype("float32"), verbose=0)
    np.testing.assert_allclose(table["sales_direct"][:2], direct[0, :, 0], rtol=1e-4)
    assert table["sales_direct"][2:].isna().all()
    # Served, its log transform and differencing travel inside the model: raw values in and out.
    answer = served_answer("models:/dl_pipelines.lstm/latest", {"inputs": window[None].tolist()})
    np.testing.assert_allclose(answer["predictions"], direct, rtol=1e-4)

    latest.head(5).to_csv(folder / "latest.csv", index=False)
    with pytest.raises(ConfigurationError, match=r"latest.csv has 5 usable rows; the model forecasts "
                                                 r"from the last 19 \(lstm.preprocessing.time_steps, plus "
                                                 r"the differencing lags if any\)"):
        run(project, "lstm_inference")


def test_kedro_run_reports_a_bad_csv_in_one_line(project):
    (project / "data" / "prices.csv").write_text(BAD_PRICES)
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--pipelines=lstm", "--params",
         "lstm.dataset=csv,csv_path=data/prices.csv"],
        cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    expected = (f"Error: {project}/data/prices.csv: value column 'price' has a non-numeric value "
                "'n/a?' (line 30); expected numbers, with empty cells or '.' for missing values.")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.fixture
def usd_eur_mirror(http_mirror):
    """A local HTTP mirror of the real FRED file (symlinked, never copied into the repository)."""
    source = SHARED_DATASETS / "usd_eur_exchange_rate" / "DEXUSEU.csv"
    if not source.is_file():
        pytest.skip("../shared/datasets/usd_eur_exchange_rate is not available")
    url, folder = http_mirror
    (folder / "usd_eur").mkdir()
    (folder / "usd_eur" / "DEXUSEU.csv").symlink_to(source)
    write_sha256sums(folder / "usd_eur")
    return url


@pytest.mark.slow
def test_real_usd_eur_through_a_local_mirror(project, usd_eur_mirror, monkeypatch):
    monkeypatch.setenv("DL_PIPELINES_DATA_MIRROR", usd_eur_mirror)
    run(project, "lstm", dataset="usd_eur", training={"epochs": 1, "verbose": 0})
    assert (project / "data/01_raw/usd_eur/DEXUSEU.csv").is_file()
    series = np.load(project / "data/02_intermediate/lstm/series.npz")
    assert series["values"].shape == (5870, 1) and np.isnan(series["values"]).sum() == 223
    model_input = np.load(project / "data/05_model_input/lstm/model_input.npz")
    assert len(model_input["series"]) == 5870 - 223  # gaps: drop
    assert str(model_input["time"][0]) == "1999-01-04" and str(model_input["time"][-1]) == "2021-07-02"
    metrics = top_run("lstm")[1]
    assert 0 < metrics["lstm.baseline_test_mase"] < 2 and 0 < metrics["lstm.test_mase"]
    # The residual model starts from persistence: even one epoch stays close to it.
    assert metrics["lstm.test_mase"] <= 1.5 * metrics["lstm.baseline_test_mase"]
