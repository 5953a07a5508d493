"""The gan app end to end through a KedroSession, on digits, into a temporary MLflow store."""

import json

import keras
import mlflow
import numpy as np
import pytest
from PIL import Image

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.pipelines.gan.models import EpochGridRecorder
from tests.helpers import assert_recorded, execute_notebook, images_in, run_pipeline, served_answer, top_run

TINY = {"model": {"noise_size": 16, "generator_filters": 32, "discriminator_filters": 8},
        "training": {"epochs": 2, "verbose": 0},
        "evaluation": {"classifier": {"epochs": 2}}}
STAGES = ["gan_ingestion", "gan_preprocessing", "gan_training", "gan_evaluation"]


def run(project, pipeline, model_version=None, **params):
    merged = {key: {**TINY.get(key, {}), **params.pop(key, {})} for key in TINY}
    run_pipeline(project, pipeline, {"gan": {**merged, **params}}
                 | ({"model_version": model_version} if model_version else {}))


@pytest.mark.slow
def test_inference_draws_new_images_as_files_and_a_grid_the_same_for_the_same_seed(project):
    run(project, "gan")
    samples = project / "data/07_model_output/gan/samples"
    drawn = []
    for seed in (7, 7, 8):
        run(project, "gan_inference", inference={"samples": 12, "seed": seed})
        files = sorted(samples.glob("*.png"))
        assert [file.name for file in files] == [f"sample_{index:04d}.png" for index in range(12)]
        drawn.append(np.stack([np.asarray(Image.open(file)) for file in files]))
    assert drawn[0].shape == (12, 8, 8) and drawn[0].dtype == np.uint8
    assert np.array_equal(drawn[0], drawn[1]) and not np.array_equal(drawn[0], drawn[2])
    assert (project / "data/08_reporting/gan/new_samples.png").is_file()
    # model_version=latest reads the generator the registered training logged, not the local file:
    # the same images for the same seed.
    models = project / "data/06_models"
    models.rename(models.with_name("06_models.away"))
    try:
        run(project, "gan_inference", inference={"samples": 12, "seed": 7}, model_version="latest")
    finally:
        models.with_name("06_models.away").rename(models)
    registered = np.stack([np.asarray(Image.open(file)) for file in sorted(samples.glob("*.png"))])
    assert np.array_equal(registered, drawn[0])


@pytest.mark.slow
def test_gan_pipeline_logs_metrics_artifacts_and_loadable_models(project):
    # A judge trained long enough to be decent: real test images then score near 10 classes.
    run(project, "gan", evaluation={"classifier": {"epochs": 15}})
    run_row, metrics = top_run("gan")
    assert_recorded(run_row, "gan", "digits")
    assert metrics["gan.classifier_test_accuracy"] > 0.9
    assert 8.5 < metrics["gan.baseline_test_inception_score"] <= 10
    assert 1 <= metrics["gan.test_inception_score"] <= 10
    assert 0 <= metrics["gan.baseline_test_fid"] < metrics["gan.test_fid"]
    assert run_row["params.gan.model.noise_size"] == "16"
    # The effective settings: the digits preset's, the run block's; no placeholders.
    assert run_row["params.gan.model.generator_ema"] == "0.99"
    assert run_row["params.gan.training.strategy"] == "auto"
    assert run_row["params.gan.evaluation.classifier.epochs"] == "15"
    assert run_row["params.gan.training.early_stopping_patience"] == "0"

    client = mlflow.MlflowClient()
    for name in ("gan.train_generator_loss", "gan.train_discriminator_loss"):
        assert [m.step for m in client.get_metric_history(run_row.run_id, name)] == [0, 1]
    assert "gan.classifier.val_accuracy" in metrics
    artifacts = {a.path for a in client.list_artifacts(run_row.run_id, "gan")}
    assert {"gan/progress.gif", "gan/progress", "gan/final_grid.png", "gan/losses.png",
            "gan/interpolation.png", "gan/latent_means.png", "gan/latent_spreads.png",
            "gan/samples.png"} <= artifacts
    pngs = {a.path for a in client.list_artifacts(run_row.run_id, "gan/progress")}
    assert pngs == {f"gan/progress/epoch_00{e}.png" for e in range(3)}
    gif = Image.open(project / "data/08_reporting/gan/progress.gif")
    assert gif.n_frames == 3 and gif.info.get("loop") == 0

    models = project / "data/06_models/gan"
    generator = keras.models.load_model(models / "generator.keras")
    discriminator = keras.models.load_model(models / "discriminator.keras")
    noise = np.random.default_rng(0).normal(size=(4, 16)).astype(np.float32)
    images = generator.predict(noise, verbose=0)
    assert images.shape == (4, 8, 8, 1) and images.min() >= -1 and images.max() <= 1
    assert discriminator.predict(images, verbose=0).shape == (4, 1)

    uri = f"runs:/{run_row.run_id}/gan_generator"
    served = mlflow.pyfunc.load_model(uri)
    assert served.metadata.get_input_schema().inputs[0].shape == (-1, 16)
    assert served.metadata.get_output_schema().inputs[0].shape == (-1, 8, 8, 1)
    np.testing.assert_allclose(np.asarray(served.predict(noise)), images, rtol=1e-5, atol=1e-6)
    answer = served_answer("models:/dl_pipelines.gan/latest", {"inputs": noise.tolist()})
    np.testing.assert_allclose(answer["predictions"], images, rtol=1e-5, atol=1e-6)

    # The notebook, headless, on these outputs.
    outputs = execute_notebook(project, "gan.ipynb")
    assert images_in(outputs) >= 6  # losses, final grid, interpolation, means, spreads, samples
    assert any("test inception score" in out.get("text", "") for out in outputs)


class StopAt(keras.callbacks.Callback):
    """Stands for a Ctrl-C: raises KeyboardInterrupt as epoch ``epoch`` begins."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_interrupted_training_resumes_from_the_last_checkpoint(project, monkeypatch):
    for stage in ("gan_ingestion", "gan_preprocessing"):
        run(project, stage)
    checkpoints = {"checkpoint_dir": "data/06_models/checkpoints", "checkpoint_every": 1, "epochs": 5,
                   "verbose": 0}
    original_fit = keras.Model.fit

    def fit_then_stop(self, *args, callbacks=None, **kwargs):
        return original_fit(self, *args, callbacks=[*(callbacks or []), StopAt(3)], **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(keras.Model, "fit", fit_then_stop)
        with pytest.raises(KeyboardInterrupt):
            run(project, "gan_training", training=checkpoints)
    assert any((project / "data/06_models/checkpoints/gan").iterdir())
    assert not (project / "data/06_models/gan/generator.keras").exists()

    epochs_trained = []
    monkeypatch.setattr(EpochGridRecorder, "on_epoch_begin",
                        lambda self, epoch, logs=None: epochs_trained.append(epoch), raising=False)
    run(project, "gan_training", training=checkpoints)
    assert epochs_trained == [3, 4]  # epochs 0-2 were restored, not trained again
    history = json.loads((project / "data/06_models/gan/history.json").read_text())
    assert len(history["generator_loss"]) == 5  # the losses from before the interruption are kept
    progress = np.load(project / "data/07_model_output/gan/progress.npz")
    assert progress["grids"].shape[0] == 6 and all(grid.any() for grid in progress["grids"])
    assert not any((project / "data/06_models/checkpoints/gan").iterdir())  # done: backup removed


@pytest.mark.parametrize(("params", "culprit"), [
    ({"model": {"generator_filters": 30}}, "gan.model.generator_filters=30"),
    ({"training": {"precision": "mixed_float16"}}, "gan.training.precision='mixed_float16'"),
])
def test_bad_parameters_stop_before_any_node_runs(project, params, culprit):
    with pytest.raises(ConfigurationError, match=culprit.replace(".", r"\.")):
        run(project, "gan", **params)
    assert not any(p.is_file() for p in (project / "data").rglob("*"))
    assert mlflow.search_runs(search_all_experiments=True).empty


def test_a_user_mistake_is_reported_in_one_line(project):
    # In this process: how `kedro run` prints it (one line, no traceback) is the cnn test's.
    with pytest.raises(ConfigurationError) as raised:
        run(project, "gan", training={"beta_1": 1.5})
    assert str(raised.value) == "Parameter gan.training.beta_1=1.5 is invalid: Input should be less than 1."
