"""Nodes of the classification app, stage by stage: frames, arrays, models and typed settings in
and out; the catalog does the I/O and kedro-mlflow owns the MLflow run."""

from __future__ import annotations

import logging
from typing import Any

import keras
import numpy as np
import pandas as pd
from fsspec.core import OpenFile
from sklearn.compose import ColumnTransformer

from dl_pipelines.core.class_reports import describe_classes, per_class_report
from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.mlflow_metrics import mlflow_metrics
from dl_pipelines.core.settings import SplitSettings, StandardTraining
from dl_pipelines.core.table_serving import TrainedTableModel, class_probabilities
from dl_pipelines.core.tables import (
    check_ingested,
    check_table,
    feature_columns,
    read_table,
    typed_columns,
)
from dl_pipelines.pipelines.classification.metrics import baseline_model, cross_validation, scores, summary
from dl_pipelines.pipelines.classification.models import fit_classifier
from dl_pipelines.pipelines.classification.settings import (
    ClassifierModelSettings,
    CrossValidationSettings,
    DataSettings,
    PreprocessingSettings,
)
from dl_pipelines.pipelines.classification.sources import check_classes, load_table
from dl_pipelines.pipelines.classification.transforms import class_names, hold_out, to_arrays

logger = logging.getLogger(__name__)


# --- ingestion ---------------------------------------------------------------------------------


def ingest_table(raw_files: RawFiles, user_csv: OpenFile | None, dataset: str,
                 data: DataSettings) -> pd.DataFrame:
    """Load the dataset ``classification.dataset`` names (downloading it the first time), check it
    and keep the features, the class labels (as text) and the published split.

    The first node, and the one that reads the data: a column ``classification.data`` names that
    is missing, text in a numeric feature, or a target of one class stops the run here with one
    line naming file, column and rows.
    """
    table, source = read_table(dataset, user_csv, "classification", lambda: load_table(dataset, raw_files))
    check_table(table, data, source, numeric_target=False)
    result = typed_columns(table, data, "str")
    check_classes(result[data.target], source)
    result.attrs["dataset"] = dataset
    counts = ", ".join(f"{k} x{v}" for k, v in result[data.target].value_counts().sort_index().items())
    logger.info("%s: %d rows, %d features, classes of %s: %s", dataset, len(result),
                len(feature_columns(table, data)), data.target, counts)
    return result


# --- preprocessing -----------------------------------------------------------------------------


def split_table(table: pd.DataFrame, dataset: str, data: DataSettings, split: SplitSettings,
                preprocessing: PreprocessingSettings, seed: int
                ) -> tuple[dict[str, np.ndarray], ColumnTransformer, pd.DataFrame]:
    """Split into train / validation / test, stratified and seeded, and fit the feature transform
    on the training rows only.

    Returns:
        The transformed arrays (float32), the class indices, the feature and class names; the
        fitted transform; and the raw test rows (features and target) the served model is
        checked against.
    """
    features = feature_columns(table, data)
    check_ingested(table, "classification", dataset, [data.target, *features])
    train, validation, test = hold_out(table, data.target, split, seed)
    classes = class_names(table[data.target])
    arrays, transform = to_arrays({"train": train, "val": validation, "test": test}, data,
                                  preprocessing.scale, classes)
    logger.info("Split: %d train, %d validation, %d test rows; %d model inputs, %d classes", len(train),
                len(validation), len(test), arrays["x_train"].shape[1], len(classes))
    model_input = {**arrays, "dataset": np.array(dataset)}
    return model_input, transform, test[[*features, data.target]].reset_index(drop=True)


# --- training ----------------------------------------------------------------------------------


def train_classifier(model_input: dict[str, np.ndarray], model: ClassifierModelSettings,
                     training: StandardTraining, seed: int) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train the classifier ``classification.model.architecture`` names (cross-entropy loss).

    Returns:
        The trained model (best validation loss when early stopping is on) and its per-epoch
        history of training and validation loss and accuracy.
    """
    logger.info("Training %s on %s for up to %d epochs", model.architecture, model_input["dataset"],
                training.epochs)
    return fit_classifier(model_input, model, training, seed)


# --- evaluation --------------------------------------------------------------------------------


def cross_validate(table: pd.DataFrame, data: DataSettings, preprocessing: PreprocessingSettings,
                   model: ClassifierModelSettings, training: StandardTraining, split: SplitSettings,
                   cross_validation_settings: CrossValidationSettings, seed: int) -> pd.DataFrame:
    """Stratified k-fold cross-validation (k: ``classification.cross_validation.folds``) of the
    network and the logistic baseline on every row of the table.

    Returns:
        One row per fold: its sizes and the held-out accuracy of the network and the baseline.
    """
    logger.info("Cross-validating %s over %d stratified folds", model.architecture,
                cross_validation_settings.folds)
    return cross_validation(table, data, preprocessing.scale, model, training, split,
                            cross_validation_settings.folds, seed)


def summarise_folds(folds: pd.DataFrame) -> dict[str, Any]:
    """MLflow metrics ``cv_accuracy_{mean,std}`` and ``baseline_cv_accuracy_{mean,std}``.

    A node of its own: one that read this report (reporting layer) and wrote the test predictions
    (model_output) would leave Kedro-Viz's layers in a cycle, and it would show none.
    """
    metrics = summary(folds)
    logger.info("%d-fold cross-validated accuracy %.4f ± %.4f (baseline %.4f ± %.4f)", len(folds),
                metrics["cv_accuracy_mean"], metrics["cv_accuracy_std"],
                metrics["baseline_cv_accuracy_mean"], metrics["baseline_cv_accuracy_std"])
    return mlflow_metrics(metrics)


def evaluate_classifier(model: keras.Model, model_input: dict[str, np.ndarray]
                        ) -> tuple[dict[str, Any], pd.DataFrame, dict[str, np.ndarray]]:
    """Score the network and the logistic baseline on the test set.

    Returns:
        MLflow metrics: ``test_{accuracy,loss}`` (``test_roc_auc`` for two classes), macro and
        per-class precision, recall and F1, and ``baseline_test_*``; the per-class report as a
        table; the test predictions.
    """
    x_test, y_test = model_input["x_test"], model_input["y_test"]
    probabilities = class_probabilities(model.predict(x_test, batch_size=1024, verbose=0))
    baseline_probabilities = baseline_model(model_input).predict_proba(x_test)
    predicted = probabilities.argmax(axis=1)
    per_class, table = per_class_report(y_test, predicted, describe_classes(model_input))
    metrics = {**scores(y_test, probabilities, "test"),
               **scores(y_test, baseline_probabilities, "baseline_test"), **per_class}
    logger.info("Test accuracy %.4f (logistic baseline %.4f)", metrics["test_accuracy"],
                metrics["baseline_test_accuracy"])
    predictions = {"y_true": y_test, "y_pred": predicted, "probabilities": probabilities,
                   "baseline_probabilities": baseline_probabilities}
    return mlflow_metrics(metrics), table, predictions


def package_model(model: keras.Model, transform: ColumnTransformer, test_rows: pd.DataFrame,
                  model_input: dict[str, np.ndarray], data: DataSettings) -> TrainedTableModel:
    """Put the fitted transform in front of the network for serving, with the class names; a few
    raw test rows (without the target) are the input example MLflow reads the signature from."""
    return TrainedTableModel(network=model, transform=transform,
                             example=test_rows.drop(columns=[data.target]).head(5),
                             classes=describe_classes(model_input))
