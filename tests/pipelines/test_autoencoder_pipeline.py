"""The autoencoder app end to end through a KedroSession, on digits, into a temporary MLflow store."""


import keras
import mlflow
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dl_pipelines.core.errors import ConfigurationError
from tests.helpers import (
    assert_recorded,
    execute_notebook,
    images_in,
    run_pipeline,
    same_predictions_from_the_registry,
    served_answer,
    top_run,
)

QUICK = {"training": {"epochs": 2, "verbose": 0}}
STAGES = ["autoencoder_ingestion", "autoencoder_preprocessing", "autoencoder_training",
          "autoencoder_evaluation"]


def run(project, pipeline, **params):
    run_pipeline(project, pipeline, {"autoencoder": {**QUICK, **params}})


@pytest.mark.slow
def test_inference_encodes_image_files_and_scores_their_reconstruction(project):
    run(project, "autoencoder")
    folder = project / "data/01_raw/inference/autoencoder"
    folder.mkdir(parents=True)
    test_images = np.load(project / "data/05_model_input/autoencoder/model_input.npz")["x_test"][:6]
    for index, image in enumerate(test_images):
        Image.fromarray(image[..., 0]).save(folder / f"digit_{index}.png")
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(folder / "white.png")  # nothing like a digit
    run(project, "autoencoder_inference")
    same_predictions_from_the_registry(project, "autoencoder", {"autoencoder": QUICK})

    table = pd.read_csv(project / "data/07_model_output/autoencoder/predictions.csv")
    assert table["file"].tolist() == [f"digit_{index}.png" for index in range(6)] + ["white.png"]
    encoder = keras.saving.load_model(project / "data/06_models/autoencoder/encoder.keras")
    codes = encoder.predict(test_images, verbose=0)
    np.testing.assert_allclose(table[[c for c in table.columns if c.startswith("code_")]][:6], codes,
                               rtol=1e-4, atol=1e-5)
    # The anomaly score: an all-white square is rebuilt far worse than the digits.
    assert table["reconstruction_mse"].iloc[-1] > table["reconstruction_mse"][:6].max()
    assert (project / "data/08_reporting/autoencoder/new_reconstructions.png").is_file()


@pytest.mark.slow
def test_autoencoder_pipeline_logs_metrics_artifacts_models_and_codes(project):
    run(project, "autoencoder", model={"code_size": 2})
    run_row, metrics = top_run("autoencoder")
    assert_recorded(run_row, "autoencoder", "digits")
    for name in ("test_mse", "test_bce", "baseline_test_mse", "baseline_test_bce"):
        assert 0 < metrics[f"autoencoder.{name}"] < 1
    assert {"autoencoder.train_loss", "autoencoder.val_loss", "autoencoder.val_mse",
            "autoencoder.train_bce"} <= set(metrics)
    assert run_row["params.autoencoder.model.code_size"] == "2"
    # The effective settings: the digits preset's architecture, the run block's strategy; no placeholders.
    assert run_row["params.autoencoder.model.architecture"] == "conv"
    assert run_row["params.autoencoder.training.strategy"] == "auto"
    assert run_row["params.autoencoder.training.learning_rate_decay"] == "cosine"
    client = mlflow.MlflowClient()
    assert [m.step for m in client.get_metric_history(run_row.run_id, "autoencoder.val_mse")] == [0, 1]
    artifacts = {a.path for a in client.list_artifacts(run_row.run_id, "autoencoder")}
    assert {"autoencoder/learning_curves.png", "autoencoder/reconstructions.png",
            "autoencoder/codes.png", "autoencoder/test_codes.parquet"} <= artifacts

    model_input = np.load(project / "data/05_model_input/autoencoder/model_input.npz")
    raw_images = model_input["x_test"][:16]
    models = project / "data/06_models/autoencoder"
    encoder = keras.models.load_model(models / "encoder.keras")
    decoder = keras.models.load_model(models / "decoder.keras")
    codes = encoder.predict(raw_images, verbose=0)
    assert codes.shape == (16, 2)
    rebuilt = decoder.predict(codes, verbose=0)
    assert rebuilt.shape == (16, 8, 8, 1)

    table = pd.read_parquet(project / "data/07_model_output/autoencoder/test_codes.parquet")
    assert list(table.columns) == ["code_0", "code_1", "label", "class_name"]
    assert len(table) == len(model_input["x_test"])
    np.testing.assert_allclose(table[["code_0", "code_1"]].to_numpy()[:16], codes, rtol=1e-4, atol=1e-5)

    uri = f"runs:/{run_row.run_id}/autoencoder"
    served = mlflow.pyfunc.load_model(uri)
    assert served.metadata.get_input_schema().inputs[0].shape == (-1, 8, 8, 1)
    np.testing.assert_allclose(np.asarray(served.predict(raw_images)), rebuilt, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mlflow.keras.load_model(uri).predict(raw_images, verbose=0), rebuilt,
                               rtol=1e-4, atol=1e-5)
    answer = served_answer("models:/dl_pipelines.autoencoder/latest", {"inputs": raw_images[:2].tolist()})
    np.testing.assert_allclose(answer["predictions"], rebuilt[:2], rtol=1e-4, atol=1e-5)

    # The notebook, headless, on these outputs.
    outputs = execute_notebook(project, "autoencoder.ipynb")
    assert images_in(outputs) >= 4  # learning curves, reconstructions, codes, denoised / generated
    assert any("test MSE" in out.get("text", "") for out in outputs)


@pytest.mark.slow
def test_each_stage_runs_alone_once_its_inputs_exist(project):
    for stage in STAGES:
        run(project, stage, model={"architecture": "dense"}, training={"epochs": 1, "verbose": 0})
    assert (project / "data/08_reporting/autoencoder/reconstructions.png").is_file()
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"])
    assert len(runs) == 4 and (runs["status"] == "FINISHED").all()


@pytest.mark.parametrize("params", [
    {"model": {"code_size": 65}},
    {"dataset": "mnist", "model": {"code_size": 800}},
    {"training": {"loss": "hinge"}},
])
def test_bad_parameters_stop_before_any_node_runs(project, params):
    with pytest.raises(ConfigurationError):
        run(project, "autoencoder", **params)
    assert not any(p.is_file() for p in (project / "data").rglob("*"))
    assert mlflow.search_runs(search_all_experiments=True).empty


def test_images_the_model_cannot_take_stop_before_training(project):
    from dl_pipelines.datasets import NpzDataset

    # Images of 10x10 pixels (sides not divisible by 4) where the ingestion stage puts its output.
    rng = np.random.default_rng(0)
    NpzDataset(str(project / "data/02_intermediate/autoencoder/images.npz")).save({
        "x_train": rng.integers(0, 255, (400, 10, 10, 1), dtype=np.uint8),
        "y_train": np.repeat(np.arange(10), 40).astype(np.uint8),
        "x_test": np.zeros((0, 10, 10, 1), np.uint8), "y_test": np.zeros(0, np.uint8),
        "class_names": np.array(list("0123456789")), "dataset": np.array("digits")})
    run(project, "autoencoder_preprocessing")
    with pytest.raises(ConfigurationError, match="architecture='conv' cannot take the 10x10x1 digits"):
        run(project, "autoencoder_training", model={"architecture": "conv"})
    assert not (project / "data/06_models/autoencoder").exists()


def test_a_code_size_too_large_is_reported_in_one_line(project):
    # In this process: how `kedro run` prints it (one line, no traceback) is the cnn test's.
    with pytest.raises(ConfigurationError) as raised:
        run(project, "autoencoder", model={"code_size": 100})
    assert str(raised.value) == ("Parameter autoencoder.model.code_size=100 is larger than the 8x8x1 digits "
                                 "images (64 values); expected at most 64.")
