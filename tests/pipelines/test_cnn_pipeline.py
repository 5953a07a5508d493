"""The cnn app end to end through a KedroSession, on digits, into a temporary MLflow store."""

import subprocess
import sys

import keras
import mlflow
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dl_pipelines.core.errors import ChecksumMismatchError, ConfigurationError
from tests.helpers import assert_recorded, execute_notebook, images_in, run_pipeline, served_answer, top_run

QUICK = {"training": {"epochs": 2, "verbose": 0}, "grid_search": {"epochs": 1}}
STAGES = ["cnn_ingestion", "cnn_preprocessing", "cnn_training", "cnn_evaluation"]


def run(project, pipeline, **params):
    run_pipeline(project, pipeline, {"cnn": {**QUICK, **params}})


@pytest.mark.slow
def test_inference_classifies_a_folder_of_image_files_as_the_trained_model_does(project):
    run(project, "cnn", model={"architecture": "dense"})  # registered version 1
    run(project, "cnn")  # version 2, also the local files
    folder = project / "data/01_raw/inference/cnn"
    with pytest.raises(ConfigurationError, match=r"^No image files in cnn.new_inputs"):
        run(project, "cnn_inference")
    folder.mkdir(parents=True)
    test_images = np.load(project / "data/05_model_input/cnn/model_input.npz")["x_test"][:20]
    for index, image in enumerate(test_images):
        Image.fromarray(image[..., 0]).save(folder / f"digit_{index:02d}.png")
    # Any size and colour: a 64 x 64 RGB JPEG is made an 8 x 8 grey image like the training ones.
    Image.fromarray(test_images[0][..., 0]).resize((64, 64)).convert("RGB").save(folder / "large.jpg")
    run(project, "cnn_inference")

    table = pd.read_csv(project / "data/07_model_output/cnn/predictions.csv")
    model = keras.saving.load_model(project / "data/06_models/cnn/model.keras")
    expected = model.predict(test_images, verbose=0).argmax(axis=1)
    assert table["file"].tolist() == [f"digit_{index:02d}.png" for index in range(20)] + ["large.jpg"]
    assert table["class_index"][:20].tolist() == expected.tolist()
    assert (table["predicted_class"].astype(str) == table["class_index"].astype(str)).all()  # digit names
    assert table["probability"].between(0, 1).all()
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"],
                              filter_string="attributes.status = 'FINISHED'")
    (run_id,) = runs[runs["tags.pipeline_names"] == "['cnn_inference']"]["run_id"]
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "cnn/inference")}
    assert artifacts == {"cnn/inference/predictions.csv"}

    # Any registered training, by number or alias: the model files its run logged, not the local ones.
    run_pipeline(project, "cnn_inference", {"model_version": 1})
    earlier = pd.read_csv(project / "data/07_model_output/cnn/predictions.csv")
    dense = mlflow.keras.load_model("models:/dl_pipelines.cnn/1")
    probabilities = dense.predict(test_images, verbose=0)
    assert earlier["class_index"][:20].tolist() == probabilities.argmax(axis=1).tolist()
    np.testing.assert_allclose(earlier["probability"][:20], probabilities.max(axis=1).round(4), atol=1e-4)
    version_1 = mlflow.MlflowClient().get_model_version("dl_pipelines.cnn", "1")
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"], filter_string="tags.model_version = '1'")
    assert runs["tags.model_run_id"].tolist() == [version_1.run_id]
    unknown = r"^model_version=7: dl_pipelines.cnn has no such version; it has versions 1, 2, 'latest' and"
    with pytest.raises(ConfigurationError, match=unknown + r" the aliases digits.$"):
        run_pipeline(project, "cnn_inference", {"model_version": 7})
    with pytest.raises(ConfigurationError, match=r"^model_version=1 is for the inference pipelines only"):
        run_pipeline(project, "cnn", {"model_version": 1})

    (folder / "notes.png").write_bytes(b"not an image")
    with pytest.raises(ConfigurationError, match=r"notes.png does not decode as an image; remove it"):
        run(project, "cnn_inference")


@pytest.mark.slow
def test_cnn_pipeline_logs_metrics_artifacts_and_a_servable_model(project):
    run(project, "cnn")
    run_row, metrics = top_run("cnn")
    assert_recorded(run_row, "cnn", "digits")
    assert 0.5 < metrics["cnn.test_accuracy"] <= 1  # two epochs: far above chance, not yet 0.98
    assert {"cnn.test_loss", "cnn.test_f1_macro", "cnn.test_precision_class_0",
            "cnn.test_recall_class_9", "cnn.train_loss", "cnn.val_accuracy"} <= set(metrics)
    assert run_row["params.cnn.training.epochs"] == "2"
    # The effective settings: the digits preset's filters, the run block's strategy; no placeholders.
    assert run_row["params.cnn.model.filters"] == "64" and run_row["params.cnn.training.strategy"] == "auto"

    client = mlflow.MlflowClient()
    history = client.get_metric_history(run_row.run_id, "cnn.val_accuracy")
    assert [m.step for m in history] == [0, 1]
    artifacts = {a.path for a in client.list_artifacts(run_row.run_id, "cnn")}
    assert {"cnn/learning_curves.png", "cnn/confusion_matrix.png", "cnn/misclassified.png",
            "cnn/classification_report.csv"} <= artifacts

    model_input = np.load(project / "data/05_model_input/cnn/model_input.npz")
    raw_images = model_input["x_test"][:16]
    assert raw_images.dtype == np.uint8
    uri = f"runs:/{run_row.run_id}/cnn_classifier"
    served = mlflow.pyfunc.load_model(uri)
    assert served.metadata.get_input_schema().inputs[0].shape == (-1, 8, 8, 1)
    classes = np.asarray(served.predict(raw_images)).argmax(axis=1)
    assert classes.shape == (16,) and (classes == model_input["y_test"][:16]).mean() > 0.5
    keras_model = mlflow.keras.load_model(uri)
    np.testing.assert_allclose(keras_model.predict(raw_images, verbose=0),
                               np.asarray(served.predict(raw_images)), rtol=1e-5)

    # Registered: the latest version, and the alias of its dataset, load the same model.
    version = client.get_model_version_by_alias("dl_pipelines.cnn", "digits")
    assert version.run_id == run_row.run_id and version.tags["dataset"] == "digits"
    registered = mlflow.pyfunc.load_model("models:/dl_pipelines.cnn/latest")
    np.testing.assert_allclose(np.asarray(registered.predict(raw_images)),
                               np.asarray(served.predict(raw_images)), rtol=1e-5)
    # Over REST, as `mlflow models serve` answers the documented request.
    answer = served_answer("models:/dl_pipelines.cnn@digits", {"inputs": raw_images[:3].tolist()})
    np.testing.assert_allclose(answer["predictions"], np.asarray(served.predict(raw_images[:3])), rtol=1e-5)

    # The notebook, headless, on these outputs.
    outputs = execute_notebook(project, "cnn.ipynb")
    assert images_in(outputs) >= 4  # learning curves, confusion matrix, misclassified, predictions
    assert any("test accuracy" in out.get("text", "") for out in outputs)


@pytest.mark.slow
def test_each_stage_runs_alone_once_its_inputs_exist(project):
    for stage in STAGES:
        run(project, stage)
    assert (project / "data/08_reporting/cnn/confusion_matrix.png").is_file()
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"])
    assert len(runs) == 4 and (runs["status"] == "FINISHED").all()


def test_a_stage_without_its_inputs_names_the_stage_to_run_first(project):
    # Checked before the run starts: the message names the stage to run first.
    missing = ("cnn.model_input does not exist yet: "
               "run `kedro run --pipelines=cnn_ingestion,cnn_preprocessing`")
    with pytest.raises(ConfigurationError, match=missing):
        run(project, "cnn_training")


@pytest.mark.slow
def test_grid_search_logs_one_nested_run_per_combination_and_a_heatmap(project):
    run(project, "cnn_ingestion")
    run(project, "cnn_preprocessing")
    grid = {"training.learning_rate": [0.001, 0.01], "model.l2": [0.0, 0.001]}
    run(project, "cnn_grid_search", grid_search={"epochs": 1, "grid": grid})
    parent, _ = top_run("cnn_grid_search")
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"])
    children = runs[runs["tags.mlflow.parentRunId"] == parent.run_id]
    assert len(children) == 4
    assert set(children["tags.mlflow.runName"]) == {
        f"training.learning_rate={lr} model.l2={l2}" for lr in (0.001, 0.01) for l2 in (0.0, 0.001)}
    assert set(children["params.model.l2"]) == {"0.0", "0.001"}
    assert children["metrics.cnn.val_accuracy"].notna().all()
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(parent.run_id, "cnn")}
    assert {"cnn/grid_search.png", "cnn/grid_search_report.csv"} <= artifacts


@pytest.mark.parametrize("params", [
    {"dataset": "imagenet"},
    {"training": {"epochs": -3}},
])
def test_bad_parameters_stop_before_any_node_runs(project, params):
    with pytest.raises(ConfigurationError):
        run(project, "cnn", **params)
    assert not any(p.is_file() for p in (project / "data").rglob("*"))
    assert mlflow.search_runs(search_all_experiments=True).empty


def test_checksum_mismatch_on_the_mirror_stops_before_training(project, http_mirror, monkeypatch):
    url, folder = http_mirror
    (folder / "mnist").mkdir()
    for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]:
        (folder / "mnist" / name).write_bytes(b"not the real file")
    monkeypatch.setenv("DL_PIPELINES_DATA_MIRROR", url)
    with pytest.raises(ChecksumMismatchError, match="train-images-idx3-ubyte.gz: SHA-256"):
        run(project, "cnn", dataset="mnist")
    assert not any(p.is_file() for p in (project / "data").rglob("*"))


@pytest.mark.slow
def test_real_mnist_ingestion_through_a_local_mirror(project, mnist_mirror, monkeypatch):
    monkeypatch.setenv("DL_PIPELINES_DATA_MIRROR", mnist_mirror)
    run(project, "cnn_ingestion", dataset="mnist")
    images = np.load(project / "data/02_intermediate/cnn/images.npz")
    assert images["x_train"].shape == (60000, 28, 28, 1) and images["x_test"].shape == (10000, 28, 28, 1)
    assert sorted(p.name for p in (project / "data/01_raw/mnist").iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


def test_kedro_run_reports_a_user_mistake_in_one_line(project):
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--pipelines=cnn", "--params", "cnn.training.epochs=-1"],
        cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    expected = ("Error: Parameter cnn.training.epochs=-1 is invalid: Input should be greater than or "
                "equal to 0.")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
