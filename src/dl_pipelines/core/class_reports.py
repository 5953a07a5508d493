"""Nodes and scores shared by the apps that predict a class (cnn, classification, rbm_features):
the class names kept with the model, the per-class report, the confusion matrix, and the
classification of the user's image files."""

from __future__ import annotations

import logging
from collections.abc import Callable

import keras
import numpy as np
import pandas as pd
from fsspec.core import OpenFile
from matplotlib.figure import Figure
from sklearn.metrics import classification_report, confusion_matrix

from dl_pipelines.core import plotting
from dl_pipelines.core.images import read_images
from dl_pipelines.core.user_files import inputs_folder

logger = logging.getLogger(__name__)


def describe_classes(model_input: dict[str, np.ndarray]) -> list[str]:
    """The name of each class the model predicts, in output order: kept with the model, so that
    inference from a registered training needs none of its data."""
    return [str(name) for name in model_input["class_names"]]


def per_class_report(y_true: np.ndarray, predicted: np.ndarray, class_names: list[str]
                     ) -> tuple[dict[str, float], pd.DataFrame]:
    """Macro and per-class precision, recall and F1 as metrics ``test_<stat>_macro`` and
    ``test_<stat>_class_<index>``, and the same report as a table (one row per class)."""
    report = classification_report(y_true, predicted, labels=list(range(len(class_names))),
                                   target_names=class_names, output_dict=True, zero_division=0)
    metrics = {}
    for stat in ("precision", "recall", "f1-score"):
        key = stat.replace("-score", "")
        metrics[f"test_{key}_macro"] = report["macro avg"][stat]
        for index, name in enumerate(class_names):
            metrics[f"test_{key}_class_{index}"] = report[name][stat]
    # The accuracy row as scikit-learn's printed report has it (as a dict, its every cell would be
    # the accuracy, the support too): the accuracy under f1-score, the number of samples.
    accuracy = report.pop("accuracy")
    table = pd.DataFrame(report).T
    table.loc["accuracy"] = [np.nan, np.nan, accuracy, len(y_true)]
    table = table.loc[[*class_names, "accuracy", "macro avg", "weighted avg"]]
    return metrics, table.reset_index(names="class")


def plot_confusion_matrix(predictions: dict[str, np.ndarray], model_input: dict[str, np.ndarray]) -> Figure:
    """Confusion matrix of the test predictions."""
    names = describe_classes(model_input)
    matrix = confusion_matrix(predictions["y_true"], predictions["y_pred"], labels=list(range(len(names))))
    return plotting.confusion_matrix_figure(matrix, names)


def classify_images_node(app: str) -> Callable[[list[OpenFile], keras.Model, list[str]], pd.DataFrame]:
    """The inference node of an image classifier: ``<app>.new_inputs`` files in, one row per file out."""

    def classify_images(images: list[OpenFile], model: keras.Model, class_names: list[str]) -> pd.DataFrame:
        """Classify the user's image files with the last trained model, each made the size and
        channels of the images it learned from.

        Returns:
            One row per file, in name order: ``file``, ``predicted_class`` (its name),
            ``class_index`` and ``probability``.
        """
        batch = read_images(images, model.input_shape[1:],
                            inputs_folder(app))
        probabilities = model.predict(batch, batch_size=256, verbose=0)
        predicted = probabilities.argmax(axis=1)
        table = pd.DataFrame({"file": [file.path.rsplit("/", 1)[-1] for file in images],
                              "predicted_class": np.asarray(class_names)[predicted], "class_index": predicted,
                              "probability": probabilities.max(axis=1).round(4)})
        counts = table["predicted_class"].value_counts()
        logger.info("Classified %d images: %s", len(table),
                    ", ".join(f"{name} x{count}" for name, count in counts.items()))
        return table

    return classify_images
