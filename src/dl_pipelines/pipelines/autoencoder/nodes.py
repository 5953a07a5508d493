"""Nodes of the autoencoder app's training and evaluation. Pure functions: arrays, models and
typed settings in, arrays, tables, models and figures out; the catalog does the I/O and
kedro-mlflow owns the MLflow run. Ingestion and preprocessing are the image nodes every image app
shares (``dl_pipelines.core.images``)."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.decomposition import PCA

from dl_pipelines.core import plotting
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.mlflow_metrics import mlflow_metrics
from dl_pipelines.core.training import compile_with, train_model
from dl_pipelines.pipelines.autoencoder.figures import code_scatter
from dl_pipelines.pipelines.autoencoder.models import build_autoencoder, shape_problem
from dl_pipelines.pipelines.autoencoder.settings import (
    AutoencoderModelSettings,
    AutoencoderTraining,
    EvaluationSettings,
)

logger = logging.getLogger(__name__)

# Probabilities are clipped into (EPSILON, 1 - EPSILON) before a logarithm, as Keras does.
EPSILON = 1e-7


def to_unit(images: np.ndarray) -> np.ndarray:
    """uint8 pixels 0..255 as float32 in [0, 1]: the targets and the scale every score uses."""
    return np.asarray(images, dtype=np.float32) / 255


def mean_squared_error(images: np.ndarray, reconstructions: np.ndarray) -> float:
    """Mean squared error per pixel, on [0, 1] pixels."""
    return float(np.mean((to_unit(images) - reconstructions.reshape(images.shape)) ** 2))


def binary_cross_entropy(images: np.ndarray, reconstructions: np.ndarray) -> float:
    """Mean binary cross-entropy per pixel, with the [0, 1] pixels as targets and the
    reconstructions (clipped into (0, 1)) as probabilities."""
    target = to_unit(images).astype(np.float64)
    p = np.clip(reconstructions.reshape(images.shape).astype(np.float64), EPSILON, 1 - EPSILON)
    return float(np.mean(-(target * np.log(p) + (1 - target) * np.log(1 - p))))


# --- training ----------------------------------------------------------------------------------


def train_autoencoder(model_input: dict[str, np.ndarray], model: AutoencoderModelSettings,
                      training: AutoencoderTraining, seed: int
                      ) -> tuple[keras.Model, keras.Model, keras.Model, dict[str, list[float]]]:
    """Train the autoencoder ``autoencoder.model.architecture`` names to reproduce its inputs.

    With ``model.noise_stddev`` > 0 the model adds Gaussian noise to its inputs while training
    only (a denoising autoencoder): the targets stay the clean images.

    Returns:
        The trained autoencoder (best validation loss when early stopping is on), its encoder,
        its decoder, and the per-epoch history of training and validation loss, MSE and BCE.

    Raises:
        ConfigurationError: Before any training, when the model cannot take these images.
    """
    x_train, x_val = model_input["x_train"], model_input["x_val"]
    # The settings fit the dataset's known shape; these are the images themselves.
    problem = shape_problem(model.architecture, x_train.shape[1:], model.code_size,
                            f"{model_input['dataset']} images")
    if problem:
        raise ConfigurationError(problem)

    def build() -> keras.Model:
        autoencoder = build_autoencoder(x_train.shape[1:], model)
        # Both scores on every epoch, whichever one is the loss, so the curves compare.
        return compile_with(autoencoder, training, len(x_train), loss=training.loss,
                            metrics=[keras.metrics.MeanSquaredError(name="mse"),
                                     keras.metrics.BinaryCrossentropy(name="bce")])

    logger.info("Training the %s autoencoder (code size %d) on %s for up to %d epochs",
                model.architecture, model.code_size, model_input["dataset"], training.epochs)
    autoencoder, history = train_model(build, (x_train, to_unit(x_train)), (x_val, to_unit(x_val)),
                                       app="autoencoder", seed=seed, training=training)
    return autoencoder, autoencoder.get_layer("encoder"), autoencoder.get_layer("decoder"), history


# --- evaluation --------------------------------------------------------------------------------


def encode_test_images(encoder: keras.Model, decoder: keras.Model,
                       model_input: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Codes and reconstructions of the test images, through the saved encoder and decoder."""
    codes = encoder.predict(model_input["x_test"], batch_size=1024, verbose=0)
    reconstructions = decoder.predict(codes, batch_size=1024, verbose=0)
    return {"codes": codes.astype(np.float32), "reconstructions": reconstructions.astype(np.float32)}


def pca_baseline(model_input: dict[str, np.ndarray], model: AutoencoderModelSettings
                 ) -> dict[str, np.ndarray]:
    """The baseline: PCA with as many components as the code size, fitted on the same training
    images (on [0, 1] pixels); codes and reconstructions of the test images."""
    code_size = model.code_size
    x_train, x_test = model_input["x_train"], model_input["x_test"]
    pca = PCA(n_components=code_size, random_state=0)
    pca.fit(to_unit(x_train).reshape(len(x_train), -1))
    codes = pca.transform(to_unit(x_test).reshape(len(x_test), -1))
    reconstructions = pca.inverse_transform(codes).reshape(x_test.shape)
    logger.info("PCA-%d keeps %.1f%% of the training variance", code_size,
                100 * pca.explained_variance_ratio_.sum())
    return {"codes": codes.astype(np.float32), "reconstructions": reconstructions.astype(np.float32)}


def score_reconstructions(encoded: dict[str, np.ndarray], baseline: dict[str, np.ndarray],
                          model_input: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """MLflow metrics: ``test_mse`` and ``test_bce`` of the autoencoder on the test images, and
    ``baseline_test_mse`` / ``baseline_test_bce`` of PCA (its reconstructions clipped into (0, 1)
    for the cross-entropy). All are means per pixel on [0, 1] pixels."""
    x_test = model_input["x_test"]
    metrics = {
        "test_mse": mean_squared_error(x_test, encoded["reconstructions"]),
        "test_bce": binary_cross_entropy(x_test, encoded["reconstructions"]),
        "baseline_test_mse": mean_squared_error(x_test, baseline["reconstructions"]),
        "baseline_test_bce": binary_cross_entropy(x_test, baseline["reconstructions"]),
    }
    logger.info("Test MSE %.5f (PCA %.5f), test BCE %.4f (PCA %.4f)", metrics["test_mse"],
                metrics["baseline_test_mse"], metrics["test_bce"], metrics["baseline_test_bce"])
    return mlflow_metrics(metrics)


def codes_table(encoded: dict[str, np.ndarray], model_input: dict[str, np.ndarray]) -> pd.DataFrame:
    """The codes of the test images as a table: ``code_0`` ... ``code_<k-1>``, ``label`` and
    ``class_name``, one row per test image in test-set order."""
    codes = encoded["codes"]
    table = pd.DataFrame(codes, columns=[f"code_{i}" for i in range(codes.shape[1])])
    labels = model_input["y_test"].astype(np.int64)
    table["label"] = labels
    table["class_name"] = np.asarray(model_input["class_names"]).astype(str)[labels]
    return table


def plot_learning_curves(history: dict[str, list[float]]) -> Figure:
    """Training against validation loss, MSE and BCE by epoch."""
    return plotting.learning_curves(history, title="autoencoder: learning curves")


def plot_reconstructions(encoded: dict[str, np.ndarray], baseline: dict[str, np.ndarray],
                         model_input: dict[str, np.ndarray], model: AutoencoderModelSettings,
                         evaluation: EvaluationSettings, dataset: str) -> Figure:
    """Test images (one per class first, then in order) above their autoencoder and PCA
    reconstructions."""
    count = evaluation.images_to_show
    labels = model_input["y_test"]
    # The first image of each class, so every class shows up, then the next ones in order.
    firsts = [int(np.flatnonzero(labels == label)[0]) for label in np.unique(labels)]
    others = [i for i in range(min(len(labels), count + len(firsts))) if i not in firsts]
    chosen = np.array((firsts + others)[:count], dtype=int)
    names = np.asarray(model_input["class_names"]).astype(str)
    code_size = model.code_size
    rows = {"original": model_input["x_test"][chosen],
            f"autoencoder\n({model.architecture})": encoded["reconstructions"][chosen],
            f"PCA-{code_size}": np.clip(baseline["reconstructions"][chosen], 0, 1)}
    return plotting.image_rows(rows, [names[labels[i]] for i in chosen],
                               title=f"{dataset}: test images and their reconstructions "
                                     f"from {code_size} numbers")


def plot_codes(encoded: dict[str, np.ndarray], baseline: dict[str, np.ndarray],
               model_input: dict[str, np.ndarray]) -> Figure:
    """The test codes of the autoencoder and of PCA, coloured by label (exact with code size 2;
    larger codes are shown on their first two principal axes)."""
    names = np.asarray(model_input["class_names"]).astype(str)
    return code_scatter({"autoencoder": encoded["codes"], "PCA": baseline["codes"]},
                        model_input["y_test"], names, title="Codes of the test images")

