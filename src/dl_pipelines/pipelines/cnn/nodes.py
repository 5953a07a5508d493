"""Nodes of the cnn app's training and evaluation. Pure functions: arrays, models and typed
settings in, arrays, tables, models and figures out; the catalog does the I/O and kedro-mlflow
owns the MLflow run. Ingestion and preprocessing are the image nodes every image app shares
(``dl_pipelines.core.images``)."""

from __future__ import annotations

import logging
from typing import Any

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dl_pipelines.core import plotting
from dl_pipelines.core.class_reports import describe_classes, per_class_report
from dl_pipelines.core.classifiers import ClassifierSettings, build_classifier
from dl_pipelines.core.mlflow_metrics import mlflow_metrics
from dl_pipelines.core.settings import StandardTraining
from dl_pipelines.core.training import compile_with, train_model
from dl_pipelines.pipelines.cnn.settings import EvaluationSettings

logger = logging.getLogger(__name__)


# --- training ----------------------------------------------------------------------------------


def _fit(model_input: dict[str, np.ndarray], model: ClassifierSettings, training: StandardTraining,
         seed: int, *, checkpoints: bool = True) -> tuple[keras.Model, dict]:
    """Build, compile and fit one classifier; shared by training and the grid search."""

    def build() -> keras.Model:
        classes = len(model_input["class_names"])
        classifier = build_classifier(model_input["x_train"].shape[1:], classes, model)
        return compile_with(classifier, training, len(model_input["x_train"]),
                            loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    return train_model(build, (model_input["x_train"], model_input["y_train"]),
                       (model_input["x_val"], model_input["y_val"]), app="cnn",
                       seed=seed, training=training, checkpoints=checkpoints)


def train_classifier(model_input: dict[str, np.ndarray], model: ClassifierSettings,
                     training: StandardTraining, seed: int
                     ) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train the classifier ``cnn.model.architecture`` names.

    Returns:
        The trained model (best validation loss when early stopping is on) and its per-epoch
        history of training and validation loss and accuracy.
    """
    logger.info("Training %s on %s for up to %d epochs", model.architecture,
                model_input["dataset"], training.epochs)
    return _fit(model_input, model, training, seed)


# --- evaluation --------------------------------------------------------------------------------


def evaluate_classifier(model: keras.Model, model_input: dict[str, np.ndarray]
                        ) -> tuple[dict[str, Any], pd.DataFrame, dict[str, np.ndarray]]:
    """Score the model on the test set.

    Returns:
        MLflow metrics (``test_accuracy``, ``test_loss``, macro and per-class precision, recall
        and F1), the per-class report as a table, and the test predictions.
    """
    x_test, y_test = model_input["x_test"], model_input["y_test"]
    probabilities = model.predict(x_test, batch_size=512, verbose=0)
    predicted = probabilities.argmax(axis=1)
    loss = float(keras.losses.sparse_categorical_crossentropy(y_test, probabilities).numpy().mean())
    per_class, table = per_class_report(y_test, predicted, describe_classes(model_input))
    metrics = {"test_accuracy": float((predicted == y_test).mean()), "test_loss": loss, **per_class}
    logger.info("Test accuracy %.4f, test loss %.4f", metrics["test_accuracy"], loss)
    predictions = {"y_true": y_test, "y_pred": predicted, "probabilities": probabilities}
    return mlflow_metrics(metrics), table, predictions


def plot_learning_curves(history: dict[str, list[float]]) -> Figure:
    """Training against validation loss and accuracy by epoch."""
    return plotting.learning_curves(history, title="cnn: learning curves")


def plot_misclassified(predictions: dict[str, np.ndarray], model_input: dict[str, np.ndarray],
                       evaluation: EvaluationSettings) -> Figure:
    """A grid of misclassified test images, captioned with true and predicted class."""
    wrong = np.flatnonzero(predictions["y_true"] != predictions["y_pred"])[:evaluation.misclassified_to_show]
    names = [str(name) for name in model_input["class_names"]]
    titles = [f"true {names[predictions['y_true'][i]]}\npred {names[predictions['y_pred'][i]]}"
              for i in wrong]
    return plotting.image_grid(model_input["x_test"][wrong], titles,
                               title=f"Misclassified test images (first {len(wrong)})")



