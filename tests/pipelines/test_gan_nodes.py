import keras
import numpy as np
import pytest
from PIL import Image

from dl_pipelines.core import images
from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.images import ingest_images, split_images
from dl_pipelines.pipelines.gan import figures, metrics, nodes, transforms
from dl_pipelines.pipelines.gan.models import (
    DCGAN,
    build_dcgan,
    build_discriminator,
    build_generator,
)
from dl_pipelines.pipelines.gan.settings import GanModel
from tests.helpers import app_settings, raw_params

TINY_MODEL = {"noise_size": 8, "generator_filters": 16, "discriminator_filters": 4}


def settings(**changes):
    """The project's gan settings, quick and file-free, with ``section__key=value`` changes."""
    tiny = {f"model__{key}": value for key, value in TINY_MODEL.items()}
    return app_settings("gan", **{"evaluation__classifier__epochs": 2, **tiny, **changes})


def train(model_input, s):
    return nodes.train_gan(model_input, s.model, s.training, s.sampling, s.seed)


@pytest.fixture(scope="module")
def model_input():
    s = settings()
    return split_images(ingest_images(RawFiles("unused", {}), s.dataset), s.dataset, s.split, s.seed,
                        app="gan")


@pytest.fixture(scope="module")
def trained(model_input):
    return train(model_input, settings(training__epochs=2))


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
    model = GanModel(**TINY_MODEL, dropout=0.3, label_smoothing=0.1, generator_ema=0.9)
    first = build_dcgan((8, 8, 1), model, epochs=3, grid_samples=4, seed=1)
    second = build_dcgan((8, 8, 1), model, epochs=3, grid_samples=4, seed=1)
    # Explicit layer names: the resume fingerprint does not depend on what the process built before.
    assert first.get_config() == second.get_config()
    first.save(tmp_path / "gan.keras")
    loaded = keras.models.load_model(tmp_path / "gan.keras", safe_mode=True)
    assert isinstance(loaded, DCGAN) and loaded.ema == 0.9 and loaded.noise_size == 8
    np.testing.assert_allclose(loaded.fixed_noise.numpy(), first.fixed_noise.numpy())


def test_pixel_scales_round_trip():
    pixels = np.array([0, 1, 127, 128, 254, 255], dtype=np.uint8)
    signed = transforms.to_signed(pixels)
    assert signed.min() == -1 and signed.max() == 1
    np.testing.assert_array_equal(transforms.to_bytes(signed), pixels)
    assert transforms.to_bytes(np.array([-3.0, 3.0])).tolist() == [0, 255]


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
    pictures = figures.progress_images(progress)
    assert list(pictures) == ["epoch_000", "epoch_001", "epoch_002"]
    assert pictures["epoch_000"].size[0] >= transforms.GRID_MIN_WIDTH
    gif = figures.progress_animation(progress, settings().sampling)
    assert gif.n_frames == 3
    gif.save(tmp_path / "progress.gif", save_all=True, loop=0)  # as pillow.ImageDataset does
    assert Image.open(tmp_path / "progress.gif").n_frames == 3


def test_tile_puts_images_in_a_grid_with_gaps():
    images = np.full((5, 2, 3, 1), 200, dtype=np.uint8)
    grid = transforms.tile(images, columns=3)
    scale = grid.shape[1] // (3 * 3 + 2)
    assert grid.shape == (scale * (2 * 2 + 1), scale * 11, 1)
    assert grid[0, 0, 0] == 200 and grid[0, 3 * scale, 0] == 0  # the gap after the first image


def test_inception_score_counts_confident_evenly_spread_classes():
    assert metrics.inception_score(np.eye(10)) == pytest.approx(10, rel=1e-6)
    assert metrics.inception_score(np.tile(np.eye(10)[3], (50, 1))) == pytest.approx(1, rel=1e-6)
    assert metrics.inception_score(np.full((20, 10), 0.1)) == pytest.approx(1)


def test_frechet_distance_of_known_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20000, 3))
    b = rng.normal(loc=1.0, scale=2.0, size=(20000, 3))
    # |mu1 - mu2|^2 = 3, and per dimension 1 + 4 - 2 * sqrt(1 * 4) = 1.
    assert metrics.frechet_distance(a, b) == pytest.approx(6, rel=0.05)
    assert metrics.frechet_distance(a, a) == pytest.approx(0, abs=1e-9)
    collapsed = np.zeros((30, 3))  # a generator that always draws the same image
    assert np.isfinite(metrics.frechet_distance(collapsed, a))


def test_latent_figures_and_scores(model_input, trained):
    generator, s = trained[0], settings()
    interpolation = figures.plot_interpolation(generator, s.evaluation, s.seed)
    assert [ax.get_ylabel() for ax in interpolation.axes] == [f"pair {i}" for i in range(1, 5)]
    assert interpolation.axes[0].images[0].get_array().shape == (8, 9 * (8 + 2) - 2)  # 9 steps
    means, spreads = figures.plot_latent_shifts(generator, s.evaluation, s.seed)
    assert len(means.axes) == 5 and len(spreads.axes) == 5  # one row of 10 images per mean / sd
    assert means.axes[0].images[0].get_array().shape == (8, 10 * (8 + 2) - 2)
    generated = nodes.generate_images(generator, model_input, s.evaluation, s.seed)
    assert generated["images"].shape == model_input["x_test"].shape
    classifier = nodes.train_digit_classifier(model_input, s.evaluation, s.training, s.seed)
    assert int(classifier.optimizer.iterations) > 0 and classifier.name == "strided_cnn"
    metrics = nodes.score_samples(classifier, generated, model_input)
    assert set(metrics) == {"test_inception_score", "test_fid", "baseline_test_inception_score",
                            "baseline_test_fid", "classifier_test_accuracy"}
    assert 1 <= metrics["test_inception_score"]["value"] <= 10
    assert metrics["baseline_test_fid"]["value"] < metrics["test_fid"]["value"]


def test_an_untrained_judge_measures_the_fixed_cost(model_input):
    s = settings(evaluation__classifier__epochs=0)
    classifier = nodes.train_digit_classifier(model_input, s.evaluation, s.training, s.seed)
    assert int(classifier.optimizer.iterations) == 0 and classifier.count_params() > 0


@pytest.mark.parametrize(("change", "culprit"), [
    ({"model__noise_size": 0}, "gan.model.noise_size=0"),
    ({"model__generator_filters": 30},
     "gan.model.generator_filters=30 is invalid: Input should be a multiple of 4"),
    ({"model__dropout": 1.0}, "gan.model.dropout=1.0"),
    ({"model__label_smoothing": 0.7}, "gan.model.label_smoothing=0.7"),
    ({"model__generator_ema": 1}, "gan.model.generator_ema=1"),
    ({"training__generator_learning_rate": -1}, "gan.training.generator_learning_rate=-1"),
    ({"training__beta_1": 1.5}, "gan.training.beta_1=1.5"),
    ({"training__batch_size": 0}, "gan.training.batch_size=0"),
    ({"training__epochs": 2.5}, "gan.training.epochs=2.5"),
    ({"training__early_stopping_patience": 3}, "gan.training.early_stopping_patience=3"),
    ({"training__precision": "mixed_float16"},
     "gan.training.precision='mixed_float16' is invalid: the two-player step has no loss scaling"),
    ({"training__learning_rate": 0.001}, "gan.training.learning_rate is not a known setting"),
    ({"sampling__grid_samples": 0}, "gan.sampling.grid_samples=0"),
    ({"sampling__gif_frame_ms": -5}, "gan.sampling.gif_frame_ms=-5"),
    ({"evaluation__samples": 0}, "gan.evaluation.samples=0"),
    ({"evaluation__latent_spreads": [1, 0]}, "gan.evaluation.latent_spreads.1=0"),
    ({"evaluation__latent_means": [0, True]}, "gan.evaluation.latent_means.1=True"),
    ({"evaluation__classifier__architecture": "resnet"}, "gan.evaluation.classifier.architecture='resnet'"),
    ({"evaluation__classifier__epochs": -1}, "gan.evaluation.classifier.epochs=-1"),
    ({"evaluation__classifier__learning_rate": 0}, "gan.evaluation.classifier.learning_rate=0"),
    ({"dataset": "cifar10"}, "gan.dataset='cifar10'"),
])
def test_bad_parameters_are_named_in_one_line(change, culprit):
    with pytest.raises(ConfigurationError) as error:
        settings(**change)
    assert culprit in str(error.value) and "\n" not in str(error.value)


def test_a_dataset_the_dcgan_cannot_take_stops_before_any_download(monkeypatch):
    monkeypatch.setitem(images.IMAGE_SHAPES, "mnist", (30, 30, 1))
    with pytest.raises(ConfigurationError, match="cannot take the 30x30x1 mnist images") as error:
        settings(dataset="mnist")
    assert "\n" not in str(error.value)


def test_images_the_dcgan_cannot_take_stop_before_training(model_input):
    odd = {**model_input, "x_train": np.zeros((10, 10, 10, 1), np.uint8)}
    with pytest.raises(ConfigurationError, match="sides divisible by 4"):
        train(odd, settings())


def test_documented_presets_are_valid_and_fill_every_null():
    for name, preset in raw_params("gan")["presets"].items():
        s = app_settings("gan", dataset=preset.get("dataset", name), preset=name)
        assert s.dataset in images.IMAGE_SHAPES
        assert s.model.noise_size == preset["model"]["noise_size"]
        assert s.training.beta_1 == preset["training"]["beta_1"]
        assert s.evaluation.classifier.epochs == preset["evaluation"]["classifier"]["epochs"]
        assert s.training.early_stopping_patience == 0


def test_explicit_values_win_over_the_preset_and_run_settings_fill_training():
    s = app_settings("gan", dataset="mnist", model__generator_filters=8,
                     training__precision="mixed_bfloat16")
    assert s.model.generator_filters == 8 and s.model.generator_ema == 0.999  # the MNIST preset's
    assert s.training.precision == "mixed_bfloat16" and s.training.strategy == "auto"  # from `run`
