"""Nodes of the rbm_features app's training and evaluation. Pure functions: arrays, models and
typed settings in, arrays, tables, models and figures out; the catalog does the I/O and
kedro-mlflow owns the MLflow run. Ingestion and preprocessing are the image nodes every image app
shares (``dl_pipelines.core.images``)."""

from __future__ import annotations

import logging
from typing import Any

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.linear_model import LogisticRegression

from dl_pipelines.core import plotting
from dl_pipelines.core.class_reports import describe_classes, per_class_report
from dl_pipelines.core.mlflow_metrics import mlflow_metrics
from dl_pipelines.core.rbm import BernoulliRBM, RbmModelSettings, RbmTraining, compiled_rbm
from dl_pipelines.core.training import train_model
from dl_pipelines.pipelines.rbm_features.figures import filter_mosaic
from dl_pipelines.pipelines.rbm_features.models import feature_classifier, pixel_classifier
from dl_pipelines.pipelines.rbm_features.settings import ClassifierSettings, EvaluationSettings
from dl_pipelines.pipelines.rbm_features.transforms import as_images, visible_units

logger = logging.getLogger(__name__)


# --- training ----------------------------------------------------------------------------------


def train_rbm(model_input: dict[str, np.ndarray], model: RbmModelSettings, training: RbmTraining, seed: int
              ) -> tuple[BernoulliRBM, dict[str, list[float]]]:
    """Train the RBM by CD-k on the training images (grey values as pixel probabilities).

    Per-epoch ``rbm_features.train_reconstruction_error``, ``train_free_energy`` and
    ``train_pseudo_log_likelihood`` go to MLflow; checkpoints and resume come from ``train_model``.
    """
    visible = visible_units(model_input["x_train"])

    def build() -> BernoulliRBM:
        return compiled_rbm(visible.shape[1], model, training, len(visible), visible.mean(axis=0), seed,
                            pseudo_likelihood=True)

    logger.info("Training an RBM with %d hidden units on %d images of %d pixels for %d epochs (CD-%d)",
                model.hidden_units, *visible.shape, training.epochs, model.cd_steps)
    return train_model(build, (visible, None), None, app="rbm_features", seed=seed, training=training,
                       monitor="reconstruction_error")


def fit_classifiers(rbm: BernoulliRBM, model_input: dict[str, np.ndarray], classifier: ClassifierSettings
                    ) -> tuple[keras.Model, keras.Model]:
    """Fit the same logistic regression (scikit-learn, L2, lbfgs) on the RBM's hidden units and on
    the raw pixels of the training images.

    Returns:
        The served classifier (image -> RBM hidden units -> logistic regression) and the baseline
        (image -> logistic regression on pixels), both raw uint8 images in, class probabilities out.
    """
    visible, labels = visible_units(model_input["x_train"]), model_input["y_train"]
    hidden = keras.ops.convert_to_numpy(rbm.hidden_probabilities(visible))
    shape = model_input["x_train"].shape[1:]
    fitted = {}
    for name, features in (("hidden units", hidden), ("pixels", visible)):
        logger.info("Fitting a logistic regression on the %d %s of %d images", features.shape[1], name,
                    len(features))
        fitted[name] = LogisticRegression(C=classifier.inverse_regularization,
                                          max_iter=classifier.max_iter).fit(features, labels)
    return feature_classifier(rbm, fitted["hidden units"], shape), pixel_classifier(fitted["pixels"], shape)


# --- evaluation --------------------------------------------------------------------------------


def evaluate_classifiers(classifier: keras.Model, pixel_classifier: keras.Model,
                         model_input: dict[str, np.ndarray]
                         ) -> tuple[dict[str, Any], pd.DataFrame, dict[str, np.ndarray]]:
    """Accuracy of the classifier on the RBM's features and of the same one on raw pixels.

    Returns:
        MLflow metrics ``{val,test}_accuracy`` and ``baseline_{val,test}_accuracy`` (raw pixels),
        macro and per-class precision, recall and F1; the per-class report; the test predictions.
    """
    metrics: dict[str, float] = {}
    for part in ("val", "test"):
        for prefix, model in (("", classifier), ("baseline_", pixel_classifier)):
            predicted = model.predict(model_input[f"x_{part}"], batch_size=1024, verbose=0).argmax(axis=1)
            metrics[f"{prefix}{part}_accuracy"] = float((predicted == model_input[f"y_{part}"]).mean())
    probabilities = classifier.predict(model_input["x_test"], batch_size=1024, verbose=0)
    per_class, table = per_class_report(model_input["y_test"], probabilities.argmax(axis=1),
                                        describe_classes(model_input))
    metrics.update(per_class)
    logger.info("Test accuracy of the logistic regression on the RBM's hidden units %.4f, on raw pixels %.4f",
                metrics["test_accuracy"], metrics["baseline_test_accuracy"])
    predictions = {"y_true": model_input["y_test"], "y_pred": probabilities.argmax(axis=1),
                   "probabilities": probabilities}
    return mlflow_metrics(metrics), table, predictions


def score_rbm(rbm: BernoulliRBM, model_input: dict[str, np.ndarray], seed: int) -> dict[str, Any]:
    """The RBM as a model of the test images: ``test_reconstruction_error`` (mean squared error
    per pixel after one pass up and down), ``test_free_energy`` and
    ``test_pseudo_log_likelihood`` (one random pixel flipped per image, scaled to all pixels)."""
    visible = visible_units(model_input["x_test"])
    units = np.random.default_rng(seed).integers(visible.shape[1], size=len(visible)).astype("int32")
    free_energy = keras.ops.convert_to_numpy(rbm.free_energy(visible))
    reconstructions = keras.ops.convert_to_numpy(rbm(visible))
    pseudo_likelihood = keras.ops.convert_to_numpy(rbm.pseudo_log_likelihood(visible, units))
    metrics = {
        "test_reconstruction_error": float(np.mean((visible - reconstructions) ** 2)),
        "test_free_energy": float(free_energy.mean()),
        "test_pseudo_log_likelihood": float(pseudo_likelihood.mean()),
    }
    logger.info("Test reconstruction error %.4f, pseudo-log-likelihood %.1f per image",
                metrics["test_reconstruction_error"], metrics["test_pseudo_log_likelihood"])
    return mlflow_metrics(metrics)


def plot_learning_curves(history: dict[str, list[float]]) -> Figure:
    """Reconstruction error, free energy and pseudo-log-likelihood of the training images by epoch."""
    return plotting.learning_curves(history, title="rbm_features: contrastive divergence, by epoch")


def plot_filters(rbm: BernoulliRBM, model_input: dict[str, np.ndarray], evaluation: EvaluationSettings
                 ) -> Figure:
    """The learned weights of the first ``evaluation.filters_to_show`` hidden units (all of them
    when there are fewer) as image tiles."""
    return filter_mosaic(keras.ops.convert_to_numpy(rbm.kernel), model_input["x_train"].shape[1:],
                         min(evaluation.filters_to_show, rbm.hidden_units))


def plot_reconstructions(rbm: BernoulliRBM, model_input: dict[str, np.ndarray], evaluation: EvaluationSettings
                         ) -> Figure:
    """Test images above their reconstructions (one pass up to the hidden units and back)."""
    images = model_input["x_test"][:evaluation.images_to_show]
    reconstructions = keras.ops.convert_to_numpy(rbm(visible_units(images)))
    rows = {"original": images, "reconstruction": as_images(reconstructions, images.shape[1:])}
    return plotting.image_rows(rows, title="Test images and their reconstructions")


def plot_gibbs_samples(rbm: BernoulliRBM, model_input: dict[str, np.ndarray], evaluation: EvaluationSettings
                       ) -> Figure:
    """Gibbs chains started from test images, after each number of steps in
    ``evaluation.gibbs_steps``: what the model generates as it forgets where it started."""
    images = model_input["x_test"][:evaluation.images_to_show]
    rows = {"start": images}
    for steps in evaluation.gibbs_steps:
        samples = keras.ops.convert_to_numpy(rbm.gibbs_chain(visible_units(images), steps))
        rows[f"{steps} steps"] = as_images(samples, images.shape[1:])
    return plotting.image_rows(rows, title="Samples from Gibbs chains started at test images")
