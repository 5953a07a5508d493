from typing import get_args

import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.images import IMAGE_SHAPES, ingest_images, split_images
from dl_pipelines.core.plotting import image_rows
from dl_pipelines.pipelines.autoencoder import Settings, nodes
from dl_pipelines.pipelines.autoencoder.figures import code_scatter, project_to_2d
from dl_pipelines.pipelines.autoencoder.models import BUILDERS, build_autoencoder, deep_widths
from dl_pipelines.pipelines.autoencoder.settings import AutoencoderModelSettings
from tests.helpers import app_settings, raw_params

PARAMS = raw_params("autoencoder")
ARCHITECTURES = get_args(AutoencoderModelSettings.model_fields["architecture"].annotation)
DATASETS = get_args(Settings.model_fields["dataset"].annotation)


def settings(**changes):
    """The project's effective autoencoder settings, quick and file-free, with ``section__key=value``
    changes."""
    return app_settings("autoencoder", **changes)


def autoencoder(**options):
    return AutoencoderModelSettings(**options)


def train(model_input, s):
    return nodes.train_autoencoder(model_input, s.model, s.training, s.seed)


@pytest.fixture(scope="module")
def model_input():
    s = settings()
    return split_images(ingest_images(RawFiles("unused", {}), s.dataset), s.dataset, s.split, s.seed,
                        app="autoencoder")


@pytest.fixture(scope="module")
def trained(model_input):
    return train(model_input, settings(training__epochs=3))


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_architecture_maps_raw_uint8_images_to_unit_images_through_its_code(architecture):
    model = build_autoencoder((28, 28, 1), autoencoder(architecture=architecture, code_size=5,
                                                       units=16, filters=4, noise_stddev=0.1))
    images = np.full((2, 28, 28, 1), 255, dtype=np.uint8)
    out = model.predict(images, verbose=0)
    assert out.shape == (2, 28, 28, 1) and 0 <= out.min() and out.max() <= 1
    assert model.inputs[0].dtype == "uint8"
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    codes = encoder.predict(images, verbose=0)
    assert codes.shape == (2, 5)
    # The denoising noise is off at inference: the parts give the whole model's answer.
    np.testing.assert_allclose(decoder.predict(codes, verbose=0), out, rtol=1e-5, atol=1e-6)


def test_course_and_deep_models_have_the_documented_widths():
    dense = build_autoencoder((28, 28, 1), autoencoder(architecture="dense", code_size=128, units=256))
    widths = [layer.units for part in ("encoder", "decoder")
              for layer in dense.get_layer(part).layers if hasattr(layer, "units")]
    assert widths == [256, 128, 256, 784]
    deep = build_autoencoder((28, 28, 1), autoencoder(architecture="deep", code_size=30))
    widths = [layer.units for part in ("encoder", "decoder")
              for layer in deep.get_layer(part).layers if hasattr(layer, "units")]
    assert widths == [1000, 500, 250, 30, 250, 500, 1000, 784]
    assert deep_widths(64, 8) == [82, 41, 20]  # scaled to 8x8 digits
    assert deep_widths(64, 50) == [82, 50, 50]  # never narrower than the code


def test_noise_makes_a_denoising_model_only_while_training():
    model = build_autoencoder((8, 8, 1), autoencoder(architecture="dense", code_size=4, units=8,
                                                     noise_stddev=0.5))
    images = np.full((4, 8, 8, 1), 128, dtype=np.uint8)
    assert not np.allclose(model(images, training=True), model(images, training=True))
    np.testing.assert_allclose(model(images, training=False), model(images, training=False))


def test_scores_are_per_pixel_on_unit_pixels():
    images = np.array([[[[0], [255]]]], dtype=np.uint8)  # one 1x2 image: black, white
    assert nodes.mean_squared_error(images, np.array([[[[0.5], [1.0]]]])) == pytest.approx(0.125)
    # A perfect guess of 0/1 pixels costs ~0 (clipped probabilities); 0.5 costs log 2 per pixel.
    assert nodes.binary_cross_entropy(images, images / 255) == pytest.approx(0, abs=1e-6)
    assert nodes.binary_cross_entropy(images, np.full((1, 1, 2, 1), 0.5)) == pytest.approx(np.log(2))
    # Out-of-range PCA values are clipped into (0, 1), not turned into NaN.
    assert np.isfinite(nodes.binary_cross_entropy(images, np.array([[[[-0.2], [1.3]]]])))


def test_training_learns_and_evaluation_reports_every_output(model_input, trained):
    model, encoder, decoder, history = trained
    assert len(history["loss"]) == 3 and history["loss"][-1] < history["loss"][0]
    assert {"loss", "mse", "bce", "val_loss", "val_mse", "val_bce"} <= set(history)
    encoded = nodes.encode_test_images(encoder, decoder, model_input)
    s = settings()
    baseline = nodes.pca_baseline(model_input, s.model)
    code_size = PARAMS["presets"]["digits"]["model"]["code_size"]
    n_test = len(model_input["x_test"])
    assert encoded["codes"].shape == baseline["codes"].shape == (n_test, code_size)
    assert encoded["reconstructions"].shape == model_input["x_test"].shape
    metrics = nodes.score_reconstructions(encoded, baseline, model_input)
    assert set(metrics) == {"test_mse", "test_bce", "baseline_test_mse", "baseline_test_bce"}
    assert all(value["step"] == 0 and 0 < value["value"] < 1 for value in metrics.values())
    table = nodes.codes_table(encoded, model_input)
    assert list(table.columns) == [f"code_{i}" for i in range(code_size)] + ["label", "class_name"]
    assert (table["label"].to_numpy() == model_input["y_test"]).all() and len(table) == n_test
    assert nodes.plot_reconstructions(encoded, baseline, model_input, s.model, s.evaluation,
                                      s.dataset).axes
    assert nodes.plot_codes(encoded, baseline, model_input).axes
    assert nodes.plot_learning_curves(history).axes


def test_pca_baseline_is_fitted_on_the_training_images_only(model_input):
    exact = nodes.pca_baseline(model_input, settings(model__code_size=64).model)
    # 64 components of 64 pixels reconstruct the test images exactly.
    assert nodes.mean_squared_error(model_input["x_test"], exact["reconstructions"]) < 1e-10
    small = {**model_input, "x_train": model_input["x_train"][:50]}
    model = settings().model
    assert not np.allclose(nodes.pca_baseline(small, model)["codes"],
                           nodes.pca_baseline(model_input, model)["codes"])


def test_zero_epochs_gives_an_untrained_model_and_empty_history(model_input):
    model, encoder, decoder, history = train(model_input, settings(training__epochs=0))
    assert history == {} and model.count_params() > 0 and encoder.count_params() > 0
    assert nodes.plot_learning_curves(history) is not None


@pytest.mark.parametrize("change, shape, culprit", [
    ({"code_size": 100}, (8, 8, 1), "autoencoder.model.code_size=100 is larger than the 8x8x1"),
    ({"architecture": "conv"}, (10, 10, 1), "autoencoder.model.architecture='conv' cannot take "
                                            "the 10x10x1"),
])
def test_training_refuses_images_the_model_cannot_take_before_fitting(change, shape, culprit):
    rng = np.random.default_rng(0)
    images = {name: rng.integers(0, 255, (n, *shape), dtype=np.uint8)
              for name, n in (("x_train", 20), ("x_val", 4), ("x_test", 4))}
    model_input = {**images, "y_test": np.zeros(4, np.uint8), "dataset": np.array("custom")}
    s = settings()
    # Images other than the dataset's: the settings passed validation, the node checks the images.
    model = s.model.model_copy(update=change)
    with pytest.raises(ConfigurationError) as error:
        nodes.train_autoencoder(model_input, model, s.training, s.seed)
    assert culprit in str(error.value) and "\n" not in str(error.value)


def test_figure_helpers_handle_any_code_size():
    rng = np.random.default_rng(0)
    labels = np.arange(30) % 3
    for size in (1, 2, 5):
        points, note = project_to_2d(rng.normal(size=(30, size)))
        assert points.shape == (30, 2) and note
    codes = rng.normal(size=(30, 2))
    np.testing.assert_array_equal(project_to_2d(codes)[0], codes)
    assert code_scatter({"a": codes, "b": rng.normal(size=(30, 7))}, labels, ["x", "y", "z"]).axes
    fig = image_rows({"original": np.zeros((3, 4, 4, 1), np.uint8), "copy": np.ones((2, 4, 4))},
                     ["a", "b", "c"])
    assert len(fig.axes) == 2  # one picture per row
    original, copy = (ax.images[0].get_array() for ax in fig.axes)
    assert original.shape == copy.shape == (4, 3 * 4 + 2 * 2)  # side by side, 2-pixel gaps
    assert (copy[:, -4:] == 1).all()  # the short row is blank (white) where an image is missing
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]


@pytest.mark.parametrize("change, culprit", [
    ({"dataset": "cifar10"}, "autoencoder.dataset='cifar10'"),
    ({"model__architecture": "vae"}, "autoencoder.model.architecture='vae'"),
    ({"model__code_size": 0}, "autoencoder.model.code_size=0"),
    ({"model__code_size": 65}, "autoencoder.model.code_size=65 is larger than the 8x8x1 digits images"),
    ({"dataset": "mnist", "model__code_size": 785}, "code_size=785 is larger than the 28x28x1 mnist"),
    ({"model__noise_stddev": -0.1}, "autoencoder.model.noise_stddev=-0.1"),
    ({"training__loss": "mae"}, "autoencoder.training.loss='mae'"),
    ({"training__learning_rate_decay": "step"}, "autoencoder.training.learning_rate_decay='step'"),
    ({"training__reduce_lr_patience": 3}, "autoencoder.training are invalid: reduce_lr_patience and "
                                          "learning_rate_decay: cosine cannot be combined"),
    ({"training__epochs": -1}, "autoencoder.training.epochs=-1"),
    ({"training__epochs": 2.5}, "autoencoder.training.epochs=2.5"),
    ({"training__epochz": 3}, "autoencoder.training.epochz is not a known setting"),
    ({"training__batch_size": 0}, "autoencoder.training.batch_size=0"),
    ({"training__optimizer": "adamw2"}, "autoencoder.training.optimizer='adamw2'"),
    ({"training__strategy": "tpu"}, "autoencoder.training.strategy='tpu'"),
    ({"split__validation_fraction": 0}, "autoencoder.split.validation_fraction=0"),
    ({"evaluation__images_to_show": 0}, "autoencoder.evaluation.images_to_show=0"),
])
def test_bad_parameters_are_named_in_one_line(change, culprit):
    with pytest.raises(ConfigurationError) as error:
        settings(**change)
    assert culprit in str(error.value) and "\n" not in str(error.value)


def test_documented_presets_are_valid_and_every_dataset_has_a_shape():
    assert set(PARAMS["presets"]) == set(DATASETS) <= set(IMAGE_SHAPES)
    assert set(BUILDERS) == set(ARCHITECTURES)
    for name, preset in PARAMS["presets"].items():
        s = settings(dataset=preset.get("dataset", name), preset=name)
        assert s.model.architecture == preset["model"]["architecture"]
        assert s.model.code_size == preset["model"]["code_size"]
        assert s.training.loss == preset["training"]["loss"]
        assert s.training.batch_size == preset["training"]["batch_size"]
    for architecture in ARCHITECTURES:
        assert settings(model__architecture=architecture, model__code_size=2).model.code_size == 2


def test_explicit_values_win_over_the_preset_and_run_settings_fill_training():
    s = settings(dataset="mnist", model__code_size=2, training__strategy="cpu")
    assert s.model.code_size == 2 and s.model.architecture == "deep"  # the MNIST preset's
    assert s.training.learning_rate_decay == "cosine"  # the app's, not StandardTraining's default
    assert s.training.strategy == "cpu" and s.training.precision == "float32"  # from `run`


def test_codes_table_is_a_plain_frame_of_floats_and_labels():
    encoded = {"codes": np.zeros((3, 2), np.float32)}
    model_input = {"y_test": np.array([2, 0, 1], np.uint8), "class_names": np.array(["a", "b", "c"])}
    table = nodes.codes_table(encoded, model_input)
    assert isinstance(table, pd.DataFrame)
    assert table["class_name"].tolist() == ["c", "a", "b"]
