import keras
import numpy as np
import pytest
from PIL import Image

from dl_pipelines.core.config import ConfigurationError
from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.images import ingest_images, split_images
from dl_pipelines.pipelines.gan import IMAGE_SHAPES, nodes, validate_parameters
from dl_pipelines.pipelines.gan.models import (
    DCGAN,
    build_dcgan,
    build_discriminator,
    build_generator,
)
from tests.helpers import app_params, base_params

PARAMS = base_params("gan")
TINY_MODEL = {"noise_size": 8, "generator_filters": 16, "discriminator_filters": 4}


def params(**changes):
    """The project's gan parameters, quick and file-free, with ``section__key=value`` changes."""
    tiny = {f"model__{key}": value for key, value in TINY_MODEL.items()}
    return app_params("gan", **{"evaluation__classifier__epochs": 2, **tiny, **changes})


@pytest.fixture(scope="module")
def model_input():
    return split_images(ingest_images(RawFiles("unused", {}), params()), params(), app="gan")


@pytest.fixture(scope="module")
def trained(model_input):
    return nodes.train_gan(model_input, params(training__epochs=2))


def test_generator_is_the_course_network_for_28x28_and_adapts_to_8x8():
    generator = build_generator((28, 28, 1), noise_size=100, filters=256)
    assert generator.get_layer("project").units == 7 * 7 * 256
    assert not generator.get_layer("project").use_bias
    ups = [generator.get_layer(name) for name in ("up_0", "up_1", "image")]
    assert [(layer.filters, layer.strides, layer.kernel_size) for layer in ups] == [
        (128, (1, 1), (5, 5)), (64, (2, 2), (5, 5)), (1, (2, 2), (5, 5))]
    assert generator.output.shape[1:] == (28, 28, 1)
    small = build_generator((8, 8, 1), noise_size=32, filters=64)
    assert small.get_layer("project").units == 2 * 2 * 64
    out = small(np.random.default_rng(0).normal(size=(3, 32)).astype("float32") * 10)
    assert out.shape == (3, 8, 8, 1) and -1 <= float(np.min(out)) and float(np.max(out)) <= 1


def test_discriminator_is_the_course_network_and_returns_one_logit():
    discriminator = build_discriminator((28, 28, 1), filters=64, dropout=0.3)
    convs = [discriminator.get_layer(f"conv_{i}") for i in range(2)]
    assert [(c.filters, c.kernel_size, c.strides) for c in convs] == [
        (64, (5, 5), (2, 2)), (128, (5, 5), (2, 2))]
    assert discriminator.get_layer("conv_0_dropout").rate == 0.3
    assert discriminator.get_layer("logit").activation is keras.activations.linear
    assert discriminator.output.shape[1:] == (1,)


def test_dcgan_config_is_stable_and_the_model_reloads_in_safe_mode(tmp_path):
    settings = {**TINY_MODEL, "dropout": 0.3, "label_smoothing": 0.1, "generator_ema": 0.9}
    first = build_dcgan((8, 8, 1), settings, epochs=3, grid_samples=4, seed=1)
    second = build_dcgan((8, 8, 1), settings, epochs=3, grid_samples=4, seed=1)
    # Explicit layer names: the resume fingerprint does not depend on what the process built before.
    assert first.get_config() == second.get_config()
    first.save(tmp_path / "gan.keras")
    loaded = keras.models.load_model(tmp_path / "gan.keras", safe_mode=True)
    assert isinstance(loaded, DCGAN) and loaded.ema == 0.9 and loaded.noise_size == 8
    np.testing.assert_allclose(loaded.fixed_noise.numpy(), first.fixed_noise.numpy())


def test_pixel_scales_round_trip():
    pixels = np.array([0, 1, 127, 128, 254, 255], dtype=np.uint8)
    signed = nodes.to_signed(pixels)
    assert signed.min() == -1 and signed.max() == 1
    np.testing.assert_array_equal(nodes.to_bytes(signed), pixels)
    assert nodes.to_bytes(np.array([-3.0, 3.0])).tolist() == [0, 255]


def test_training_returns_models_losses_and_a_grid_per_epoch(model_input, trained):
    generator, discriminator, history, progress = trained
    assert set(history) == {"generator_loss", "discriminator_loss"}
    assert len(history["generator_loss"]) == 2 and all(np.isfinite(history["generator_loss"]))
    assert progress["grids"].shape == (3, 16, 8, 8, 1) and progress["grids"].dtype == np.uint8
    assert progress["epochs"].tolist() == [0, 1, 2]
    assert not np.array_equal(progress["grids"][0], progress["grids"][2])  # it trained
    assert generator.output.shape[1:] == (8, 8, 1) and discriminator.output.shape[1:] == (1,)


def test_progress_is_saved_as_pngs_and_a_gif(trained, tmp_path):
    progress = trained[3]
    pictures = nodes.progress_images(progress)
    assert list(pictures) == ["epoch_000", "epoch_001", "epoch_002"]
    assert pictures["epoch_000"].size[0] >= nodes.GRID_MIN_WIDTH
    gif = nodes.progress_animation(progress, params())
    assert gif.n_frames == 3
    gif.save(tmp_path / "progress.gif", save_all=True, loop=0)  # as pillow.ImageDataset does
    assert Image.open(tmp_path / "progress.gif").n_frames == 3


def test_tile_puts_images_in_a_grid_with_gaps():
    images = np.full((5, 2, 3, 1), 200, dtype=np.uint8)
    grid = nodes.tile(images, columns=3)
    scale = grid.shape[1] // (3 * 3 + 2)
    assert grid.shape == (scale * (2 * 2 + 1), scale * 11, 1)
    assert grid[0, 0, 0] == 200 and grid[0, 3 * scale, 0] == 0  # the gap after the first image


def test_inception_score_counts_confident_evenly_spread_classes():
    assert nodes.inception_score(np.eye(10)) == pytest.approx(10, rel=1e-6)
    assert nodes.inception_score(np.tile(np.eye(10)[3], (50, 1))) == pytest.approx(1, rel=1e-6)
    assert nodes.inception_score(np.full((20, 10), 0.1)) == pytest.approx(1)


def test_frechet_distance_of_known_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20000, 3))
    b = rng.normal(loc=1.0, scale=2.0, size=(20000, 3))
    # |mu1 - mu2|^2 = 3, and per dimension 1 + 4 - 2 * sqrt(1 * 4) = 1.
    assert nodes.frechet_distance(a, b) == pytest.approx(6, rel=0.05)
    assert nodes.frechet_distance(a, a) == pytest.approx(0, abs=1e-9)
    collapsed = np.zeros((30, 3))  # a generator that always draws the same image
    assert np.isfinite(nodes.frechet_distance(collapsed, a))


def test_latent_figures_and_scores(model_input, trained):
    generator = trained[0]
    interpolation = nodes.plot_interpolation(generator, params())
    assert [ax.get_ylabel() for ax in interpolation.axes] == [f"pair {i}" for i in range(1, 5)]
    assert interpolation.axes[0].images[0].get_array().shape == (8, 9 * (8 + 2) - 2)  # 9 steps
    means, spreads = nodes.plot_latent_shifts(generator, params())
    assert len(means.axes) == 5 and len(spreads.axes) == 5  # one row of 10 images per mean / sd
    assert means.axes[0].images[0].get_array().shape == (8, 10 * (8 + 2) - 2)
    generated = nodes.generate_images(generator, model_input, params())
    assert generated["images"].shape == model_input["x_test"].shape
    classifier, _ = nodes.train_digit_classifier(model_input, params(evaluation__classifier__epochs=2))
    metrics = nodes.score_samples(classifier, generated, model_input)
    assert set(metrics) == {"test_inception_score", "test_fid", "baseline_test_inception_score",
                            "baseline_test_fid", "classifier_test_accuracy"}
    assert 1 <= metrics["test_inception_score"]["value"] <= 10
    assert metrics["baseline_test_fid"]["value"] < metrics["test_fid"]["value"]


@pytest.mark.parametrize(("change", "culprit"), [
    ({"model__noise_size": 0}, "gan.model.noise_size"),
    ({"model__generator_filters": 30}, "gan.model.generator_filters"),
    ({"model__dropout": 1.0}, "gan.model.dropout"),
    ({"model__label_smoothing": 0.7}, "gan.model.label_smoothing"),
    ({"model__generator_ema": 1}, "gan.model.generator_ema"),
    ({"training__generator_learning_rate": -1}, "gan.training.generator_learning_rate"),
    ({"training__beta_1": 1.5}, "gan.training.beta_1"),
    ({"training__batch_size": 0}, "gan.training.batch_size"),
    ({"sampling__grid_samples": 0}, "gan.sampling.grid_samples"),
    ({"evaluation__latent_spreads": [1, 0]}, "gan.evaluation.latent_spreads"),
    ({"evaluation__classifier__architecture": "resnet"}, "gan.evaluation.classifier.architecture"),
    ({"dataset": "cifar10"}, "gan.dataset"),
])
def test_bad_parameters_are_named_in_one_line(change, culprit):
    with pytest.raises(ConfigurationError, match=culprit.replace(".", r"\.")) as error:
        validate_parameters(params(**change))
    assert "\n" not in str(error.value)


def test_images_the_dcgan_cannot_take_stop_before_training(model_input):
    odd = {**model_input, "x_train": np.zeros((10, 10, 10, 1), np.uint8)}
    with pytest.raises(ConfigurationError, match="sides divisible by 4"):
        nodes.train_gan(odd, params())


@pytest.mark.parametrize("dataset", sorted(PARAMS["presets"]))
def test_documented_parameters_are_valid(dataset):
    validate_parameters({**PARAMS, "dataset": dataset})
    assert dataset in IMAGE_SHAPES
