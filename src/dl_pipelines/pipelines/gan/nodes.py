"""Nodes of the gan app's training and evaluation. Pure functions: arrays, models, images and typed
settings in, arrays, models, images and figures out; the catalog does the I/O and kedro-mlflow owns
the MLflow run. Ingestion and preprocessing are the image nodes every image app shares
(``dl_pipelines.core.images``)."""

from __future__ import annotations

import logging

import keras
import numpy as np

from dl_pipelines.core.classifiers import ClassifierSettings, build_classifier
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.mlflow_metrics import mlflow_metrics
from dl_pipelines.core.settings import StandardTraining
from dl_pipelines.core.training import compile_with, train_model
from dl_pipelines.pipelines.gan.metrics import (
    frechet_distance,
    inception_score,
    penultimate_features,
)
from dl_pipelines.pipelines.gan.models import build_dcgan, shape_problem
from dl_pipelines.pipelines.gan.settings import (
    EvaluationSettings,
    GanModel,
    GanTraining,
    SamplingSettings,
)
from dl_pipelines.pipelines.gan.transforms import generate, to_bytes, to_signed

logger = logging.getLogger(__name__)

# The judge's settings that describe the classifier (the others, how it trains).
CLASSIFIER_FIELDS = set(ClassifierSettings.model_fields)



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


# --- latent exploration ------------------------------------------------------------------------


# --- evaluation --------------------------------------------------------------------------------


def generate_images(generator: keras.Model, model_input: dict[str, np.ndarray],
                    evaluation: EvaluationSettings, seed: int) -> dict[str, np.ndarray]:
    """``evaluation.samples`` images (default: as many as the test images) from fresh noise."""
    count = evaluation.samples or len(model_input["x_test"])
    noise = np.random.default_rng(seed + 3).normal(size=(count, generator.input_shape[-1]))
    return {"images": generate(generator, noise)}


def train_digit_classifier(model_input: dict[str, np.ndarray], evaluation: EvaluationSettings,
                           training: GanTraining, seed: int) -> keras.Model:
    """The judge of the samples: a classifier of the same dataset, built and trained by the same
    code as the cnn app (``core.classifiers.build_classifier``, ``core.training.train_model``),
    on the training images only, with Adam at ``evaluation.classifier.learning_rate``, in float32,
    where and as verbosely as the GAN trains (``training.strategy``, ``training.verbose``). Its
    curves go to MLflow as ``gan.classifier.train_*`` / ``val_*``, apart from the cnn app's own
    (not to a file: a models-layer output of the evaluation stage would leave Kedro-Viz's layers
    in a cycle, model_output -> models -> model_output, and it would show none)."""
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
    classifier, _ = train_model(build, (model_input["x_train"], model_input["y_train"]),
                                (model_input["x_val"], model_input["y_val"]), app="gan.classifier",
                                seed=seed, training=judge_training, checkpoints=False)
    return classifier


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
    return mlflow_metrics(metrics)

