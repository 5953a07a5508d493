"""The rbm_features app end to end through a KedroSession, on digits, into a temporary MLflow store."""

import mlflow
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dl_pipelines.core.errors import ConfigurationError
from tests.helpers import assert_recorded, execute_notebook, images_in, run_pipeline, top_run

QUICK = {"model": {"hidden_units": 32}, "training": {"epochs": 2, "verbose": 0},
         "evaluation": {"gibbs_steps": [1, 10]}}


def run(project, pipeline, **params):
    run_pipeline(project, pipeline, {"rbm_features": {**QUICK, **params}})


@pytest.mark.slow
def test_rbm_features_logs_both_classifiers_the_rbm_figures_and_a_served_classifier(project):
    run(project, "rbm_features")
    run_row, metrics = top_run("rbm_features")
    assert_recorded(run_row, "rbm_features", "digits")
    for name in ("test_accuracy", "baseline_test_accuracy", "val_accuracy", "baseline_val_accuracy"):
        assert 0.5 < metrics[f"rbm_features.{name}"] <= 1
    assert metrics["rbm_features.test_pseudo_log_likelihood"] < 0
    assert 0 < metrics["rbm_features.test_reconstruction_error"] < 0.1
    assert run_row["params.rbm_features.model.hidden_units"] == "32"
    assert run_row["params.rbm_features.classifier.inverse_regularization"] == "100.0"  # the digits preset
    client = mlflow.MlflowClient()
    curve = client.get_metric_history(run_row.run_id, "rbm_features.train_pseudo_log_likelihood")
    assert [point.step for point in curve] == [0, 1]
    artifacts = {a.path for a in client.list_artifacts(run_row.run_id, "rbm_features")}
    assert {f"rbm_features/{name}.png" for name in ("filters", "reconstructions", "gibbs_samples",
                                                     "learning_curves", "confusion_matrix")} <= artifacts

    # The served model: raw images in, the probabilities of the classifier on the RBM's units out.
    test_images = np.load(project / "data/05_model_input/rbm_features/model_input.npz")["x_test"][:12]
    served = mlflow.pyfunc.load_model("models:/dl_pipelines.rbm_features/latest")
    probabilities = np.asarray(served.predict(test_images.astype(np.float32)))
    assert probabilities.shape == (12, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    predictions = np.load(project / "data/07_model_output/rbm_features/test_predictions.npz")
    np.testing.assert_allclose(probabilities, predictions["probabilities"][:12], rtol=1e-4, atol=1e-6)

    # Inference on image files gives the served model's classes.
    folder = project / "data/01_raw/inference/rbm_features"
    folder.mkdir(parents=True)
    for index, image in enumerate(test_images):
        Image.fromarray(image[..., 0]).save(folder / f"digit_{index:02d}.png")
    run(project, "rbm_features_inference")
    table = pd.read_csv(project / "data/07_model_output/rbm_features/predictions.csv")
    assert table["class_index"].tolist() == probabilities.argmax(axis=1).tolist()

    outputs = execute_notebook(project, "rbm_features.ipynb")
    assert images_in(outputs) >= 4  # curves, filters, reconstructions, Gibbs chains
    assert any("hidden units" in out.get("text", "") for out in outputs)


@pytest.mark.parametrize("params", [
    {"evaluation": {"gibbs_steps": [100, 10]}},
    {"training": {"epochs": 2, "learning_rate": -0.1}},
    {"dataset": "cifar10"},
])
def test_bad_parameters_stop_before_any_node_runs(project, params):
    with pytest.raises(ConfigurationError):
        run(project, "rbm_features", **params)
    assert not any(p.is_file() for p in (project / "data").rglob("*"))
    assert mlflow.search_runs(search_all_experiments=True).empty
