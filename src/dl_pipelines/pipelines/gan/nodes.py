"""Nodes of the gan app's training and evaluation. Pure functions: arrays, models, images and typed
settings in, arrays, models, images and figures out; the catalog does the I/O and kedro-mlflow owns
the MLflow run. Ingestion and preprocessing are the image nodes every image app shares
(``dl_pipelines.core.images``)."""

from __future__ import annotations

import io
import logging

import keras
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from dl_pipelines.core import plotting
from dl_pipelines.core.classifiers import ClassifierSettings, build_classifier
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import StandardTraining
from dl_pipelines.core.training import compile_with, train_model
from dl_pipelines.pipelines.gan.models import build_dcgan, shape_problem
from dl_pipelines.pipelines.gan.settings import (
    EvaluationSettings,
    GanModel,
    GanTraining,
    SamplingSettings,
)

logger = logging.getLogger(__name__)

# The judge's settings that describe the classifier (the others, how it trains).
CLASSIFIER_FIELDS = set(ClassifierSettings.model_fields)

# Grids are enlarged (nearest neighbour) to at least this many pixels across, so 8x8 digits show.
GRID_MIN_WIDTH = 256


def to_signed(images: np.ndarray) -> np.ndarray:
    """uint8 pixels 0..255 as float32 in [-1, 1], the scale of the generator's tanh."""
    return np.asarray(images, dtype=np.float32) / 127.5 - 1


def to_bytes(images: np.ndarray) -> np.ndarray:
    """Pixels in [-1, 1] back to uint8 0..255 (what the classifier and image files take)."""
    return np.clip(np.round((np.asarray(images) + 1) * 127.5), 0, 255).astype(np.uint8)


def tile(images: np.ndarray, columns: int | None = None, gap: int = 1) -> np.ndarray:
    """uint8 images (N, H, W, C) as one (rows*H, columns*W, C) grid with ``gap`` dark pixels
    between them, enlarged to at least ``GRID_MIN_WIDTH`` pixels across."""
    count, height, width, channels = images.shape
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    grid = np.zeros((rows * (height + gap) - gap, columns * (width + gap) - gap, channels), np.uint8)
    for index, image in enumerate(images):
        row, col = divmod(index, columns)
        grid[row * (height + gap): row * (height + gap) + height,
             col * (width + gap): col * (width + gap) + width] = image
    scale = max(1, int(np.ceil(GRID_MIN_WIDTH / grid.shape[1])))
    return grid.repeat(scale, axis=0).repeat(scale, axis=1)


def _pil(grid: np.ndarray) -> Image.Image:
    return Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)


# --- training ----------------------------------------------------------------------------------


def train_gan(model_input: dict[str, np.ndarray], model: GanModel, training: GanTraining,
              sampling: SamplingSettings, seed: int
              ) -> tuple[keras.Model, keras.Model, dict[str, list[float]], dict[str, np.ndarray]]:
    """Train the DCGAN on the training images scaled to [-1, 1].

    Checkpointing, resume after Ctrl-C or a crash, TensorBoard and the per-epoch MLflow curves
    ``gan.train_generator_loss`` / ``gan.train_discriminator_loss`` come from the shared
    ``train_model``; the fixed-noise grid of every epoch is kept in the model's state, so it
    survives a resume too.

    Returns:
        The generator (its weight average when ``model.generator_ema`` > 0), the discriminator,
        the per-epoch losses of every epoch (including those before a resume), and the progress
        grids: ``{"grids": uint8 (epochs + 1, n, H, W, C), "epochs": 0..epochs}`` (epoch 0 is the
        untrained generator).

    Raises:
        ConfigurationError: Before any training, when the DCGAN cannot take these images.
    """
    x_train = model_input["x_train"]
    problem = shape_problem(x_train.shape[1:], f"{model_input['dataset']} images")
    if problem:
        raise ConfigurationError(problem)

    def build() -> keras.Model:
        gan = build_dcgan(x_train.shape[1:], model, epochs=training.epochs,
                          grid_samples=sampling.grid_samples, seed=seed)
        # Two optimisers: each player steps on its own loss (Adam 1e-4 each in the course).
        gan.compile(
            generator_optimizer=keras.optimizers.Adam(training.generator_learning_rate,
                                                      beta_1=training.beta_1),
            discriminator_optimizer=keras.optimizers.Adam(training.discriminator_learning_rate,
                                                          beta_1=training.beta_1))
        return gan

    logger.info("Training the DCGAN on %d %s images for %d epochs", len(x_train),
                model_input["dataset"], training.epochs)
    # No validation data and no early stopping (GanTraining has none): GAN losses do not measure
    # sample quality.
    gan, _ = train_model(build, (to_signed(x_train), None), None, app="gan", seed=seed,
                         training=training)
    done = int(gan.epochs_done.numpy())
    losses = keras.ops.convert_to_numpy(gan.epoch_losses)[:done]
    history = {"generator_loss": [float(v) for v in losses[:, 0]],
               "discriminator_loss": [float(v) for v in losses[:, 1]]}
    grids = to_bytes(keras.ops.convert_to_numpy(gan.epoch_grids)[:done + 1])
    return gan.sampler, gan.discriminator, history, {"grids": grids, "epochs": np.arange(done + 1)}


# --- training progress as images -------------------------------------------------------------


def progress_images(progress: dict[str, np.ndarray]) -> dict[str, Image.Image]:
    """One PNG-ready image of the fixed-noise grid per epoch, named ``epoch_<e>`` (000: untrained)."""
    return {f"epoch_{int(epoch):03d}": _pil(tile(grid))
            for epoch, grid in zip(progress["epochs"], progress["grids"], strict=True)}


def progress_animation(progress: dict[str, np.ndarray], sampling: SamplingSettings) -> Image.Image:
    """The fixed-noise grids of every epoch as one animated GIF image (looping, the last frame
    held three times as long), for ``pillow.ImageDataset`` with ``save_all: true``."""
    frame_ms = sampling.gif_frame_ms
    frames = [_pil(tile(grid)) for grid in progress["grids"]]
    durations = [frame_ms] * (len(frames) - 1) + [3 * frame_ms]
    # Encoded in memory: a Pillow image holds several frames only once read from such a file.
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0)
    buffer.seek(0)
    return Image.open(buffer)


def plot_final_grid(progress: dict[str, np.ndarray], model_input: dict[str, np.ndarray]) -> Figure:
    """The last epoch's fixed-noise grid beside as many real training images."""
    grids, count = progress["grids"], progress["grids"].shape[1]
    rows = {f"generated\n(epoch {int(progress['epochs'][-1])})": grids[-1],
            "real": model_input["x_train"][:count]}
    return plotting.image_rows(rows, title=f"{model_input['dataset']}: fixed-noise samples and real images")


def plot_losses(history: dict[str, list[float]]) -> Figure:
    """Generator and discriminator loss by epoch."""
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    for name, values in history.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=name.replace("_", " "))
    if not any(history.values()):
        ax.text(0.5, 0.5, "no epochs trained", ha="center", va="center")
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("gan: losses of the two players")
    return fig


# --- latent exploration ------------------------------------------------------------------------


def _generate(generator: keras.Model, noise: np.ndarray) -> np.ndarray:
    """uint8 images from noise, in batches (a direct call: ``predict`` would retrace its graph
    for every differently sized figure row)."""
    noise = noise.astype(np.float32)
    batches = [generator(noise[i:i + 1024], training=False) for i in range(0, len(noise), 1024)]
    return to_bytes(np.concatenate([keras.ops.convert_to_numpy(b) for b in batches]))


def plot_interpolation(generator: keras.Model, evaluation: EvaluationSettings, seed: int) -> Figure:
    """Rows of images along straight lines between pairs of random latent points."""
    rng = np.random.default_rng(seed + 1)
    size = generator.input_shape[-1]
    weights = np.linspace(0, 1, evaluation.interpolation_steps)[:, None]
    rows = {}
    for pair in range(evaluation.interpolation_pairs):
        start, end = rng.normal(size=(2, size))
        rows[f"pair {pair + 1}"] = _generate(generator, (1 - weights) * start + weights * end)
    return plotting.image_rows(rows, [f"{w:.2f}" for w in weights[:, 0]],
                      title="Interpolation between two latent points (0: first, 1: second)")


def plot_latent_shifts(generator: keras.Model, evaluation: EvaluationSettings, seed: int
                       ) -> tuple[Figure, Figure]:
    """The same standard-normal draws shifted to other means (one row per mean), and scaled to
    other spreads (one row per standard deviation): what the generator makes of noise unlike its
    training noise N(0, 1)."""
    rng = np.random.default_rng(seed + 2)
    base = rng.normal(size=(evaluation.samples_per_row, generator.input_shape[-1]))
    means = {f"mean {m:+g}": _generate(generator, base + m) for m in evaluation.latent_means}
    spreads = {f"sd {s:g}": _generate(generator, base * s) for s in evaluation.latent_spreads}
    return (plotting.image_rows(means, title="Latent means shifted (sd 1; same draws in each column)"),
            plotting.image_rows(spreads, title="Latent spreads scaled (mean 0; same draws in each column)"))


# --- evaluation --------------------------------------------------------------------------------


def generate_images(generator: keras.Model, model_input: dict[str, np.ndarray],
                    evaluation: EvaluationSettings, seed: int) -> dict[str, np.ndarray]:
    """``evaluation.samples`` images (default: as many as the test images) from fresh noise."""
    count = evaluation.samples or len(model_input["x_test"])
    noise = np.random.default_rng(seed + 3).normal(size=(count, generator.input_shape[-1]))
    return {"images": _generate(generator, noise)}


def train_digit_classifier(model_input: dict[str, np.ndarray], evaluation: EvaluationSettings,
                           training: GanTraining, seed: int
                           ) -> tuple[keras.Model, dict[str, list[float]]]:
    """The judge of the samples: a classifier of the same dataset, built and trained by the same
    code as the cnn app (``core.classifiers.build_classifier``, ``core.training.train_model``),
    on the training images only, with Adam at ``evaluation.classifier.learning_rate``, in float32,
    where and as verbosely as the GAN trains (``training.strategy``, ``training.verbose``). Its
    curves go to MLflow as ``gan.classifier.train_*`` / ``val_*``, apart from the cnn app's own."""
    judge = evaluation.classifier
    judge_training = StandardTraining(
        epochs=judge.epochs, batch_size=judge.batch_size, learning_rate=judge.learning_rate,
        early_stopping_patience=judge.early_stopping_patience, strategy=training.strategy,
        verbose=training.verbose, checkpoint_dir=None, tensorboard_dir=None)

    def build() -> keras.Model:
        classifier = build_classifier(model_input["x_train"].shape[1:], len(model_input["class_names"]),
                                      ClassifierSettings(**judge.model_dump(include=CLASSIFIER_FIELDS)))
        return compile_with(classifier, judge_training, len(model_input["x_train"]),
                            loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    logger.info("Training the %s judge classifier for up to %d epochs", judge.architecture,
                judge.epochs)
    return train_model(build, (model_input["x_train"], model_input["y_train"]),
                       (model_input["x_val"], model_input["y_val"]), app="gan.classifier",
                       seed=seed, training=judge_training, checkpoints=False)


def inception_score(probabilities: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))): the number of classes for confident predictions spread evenly
    over the classes, 1 for one class only or for unsure predictions."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1))))


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(features: np.ndarray, reference: np.ndarray) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of feature vectors:
    |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2); 0 for the same distribution.

    Tr (S1 S2)^1/2 is computed as Tr (S1^1/2 S2 S1^1/2)^1/2, a symmetric matrix, so the singular
    covariances of few samples or collapsed generators give no complex round-off.
    """
    features, reference = np.asarray(features, np.float64), np.asarray(reference, np.float64)
    mu1, mu2 = features.mean(axis=0), reference.mean(axis=0)
    s1 = np.atleast_2d(np.cov(features, rowvar=False))
    s2 = np.atleast_2d(np.cov(reference, rowvar=False))
    root1 = _sqrt_psd(s1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ s2 @ root1), 0, None)).sum()
    return float(max(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * cross, 0.0))


def penultimate_features(classifier: keras.Model) -> keras.Model:
    """The classifier cut before its softmax layer: the features the Fréchet distance compares."""
    return keras.Model(classifier.inputs, classifier.get_layer("probabilities").input)


def score_samples(classifier: keras.Model, generated: dict[str, np.ndarray],
                  model_input: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """MLflow metrics: the classifier-based Inception Score ``test_inception_score`` and the
    Fréchet distance to the training images on the classifier's penultimate features
    ``test_fid`` of the generated images, the same for held-out real test images
    (``baseline_test_*``: what a perfect generator reaches), and the classifier's own
    ``classifier_test_accuracy``."""
    features = penultimate_features(classifier)
    x_test, fakes = model_input["x_test"], generated["images"]
    reference = features.predict(model_input["x_train"], batch_size=1024, verbose=0)
    test_probabilities = classifier.predict(x_test, batch_size=1024, verbose=0)
    metrics = {
        "test_inception_score": inception_score(classifier.predict(fakes, batch_size=1024, verbose=0)),
        "test_fid": frechet_distance(features.predict(fakes, batch_size=1024, verbose=0), reference),
        "baseline_test_inception_score": inception_score(test_probabilities),
        "baseline_test_fid": frechet_distance(features.predict(x_test, batch_size=1024, verbose=0),
                                              reference),
        "classifier_test_accuracy": float((test_probabilities.argmax(axis=1)
                                           == model_input["y_test"]).mean()),
    }
    logger.info("Inception score %.3f (real test images %.3f), FID %.3f (real %.3f), judge "
                "accuracy %.4f", metrics["test_inception_score"],
                metrics["baseline_test_inception_score"], metrics["test_fid"],
                metrics["baseline_test_fid"], metrics["classifier_test_accuracy"])
    return {key: {"value": value, "step": 0} for key, value in metrics.items()}


def plot_samples(generated: dict[str, np.ndarray], classifier: keras.Model,
                 model_input: dict[str, np.ndarray]) -> Figure:
    """Generated images captioned with the judge's class and confidence."""
    images = generated["images"][:32]
    probabilities = classifier.predict(images, verbose=0)
    names = [str(name) for name in model_input["class_names"]]
    titles = [f"{names[p.argmax()]} ({p.max():.0%})" for p in probabilities]
    return plotting.image_grid(images, titles, title="Generated images, as the classifier reads them")

