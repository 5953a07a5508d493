"""Scores of the classification app, its reference model (scikit-learn's ``LogisticRegression`` on
the same rows) and the stratified k-fold cross-validation of both."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

from dl_pipelines.core.settings import SplitSettings, StandardTraining
from dl_pipelines.core.table_serving import class_probabilities
from dl_pipelines.core.tables import SPLIT_COLUMN
from dl_pipelines.core.training import nested_run
from dl_pipelines.pipelines.classification.models import fit_classifier
from dl_pipelines.pipelines.classification.settings import ClassifierModelSettings, DataSettings
from dl_pipelines.pipelines.classification.transforms import class_names, folds, stratified_part, to_arrays

logger = logging.getLogger(__name__)


def baseline_model(arrays: dict[str, np.ndarray]) -> LogisticRegression:
    """Logistic regression by scikit-learn (L2, C = 1) on the rows the network trains on."""
    return LogisticRegression(max_iter=1000).fit(arrays["x_train"], arrays["y_train"])


def scores(y_true: np.ndarray, probabilities: np.ndarray, prefix: str) -> dict[str, float]:
    """Accuracy and log loss; the area under the ROC curve too where there are two classes."""
    labels = list(range(probabilities.shape[1]))
    result = {f"{prefix}_accuracy": float(accuracy_score(y_true, probabilities.argmax(axis=1))),
              f"{prefix}_loss": float(log_loss(y_true, np.clip(probabilities, 1e-7, 1), labels=labels))}
    if len(labels) == 2 and len(np.unique(y_true)) == 2:
        result[f"{prefix}_roc_auc"] = float(roc_auc_score(y_true, probabilities[:, 1]))
    return result


def cross_validation(table: pd.DataFrame, data: DataSettings, scale: bool, model: ClassifierModelSettings,
                     training: StandardTraining, split: SplitSettings, k: int, seed: int) -> pd.DataFrame:
    """Stratified k-fold cross-validation of the network and of the baseline, on every row.

    Each fold is trained as the hold-out model is (the transform fitted on its training rows,
    ``split.validation_fraction`` of them for validation and early stopping), in a nested MLflow
    run of its own (``fold <i>``) that holds its learning curves.

    Returns:
        One row per fold: its sizes, the accuracy of the network and of the baseline on the rows
        the fold held out.
    """
    rows, classes = [], class_names(table[data.target])
    table = table.drop(columns=SPLIT_COLUMN, errors="ignore")  # the folds decide, not a published split
    quiet = training.model_copy(update={"verbose": 0})
    for index, (train, held_out) in enumerate(folds(table, data.target, k, seed), start=1):
        train, validation = stratified_part(train, data.target, split.validation_fraction, seed,
                                            "validation_fraction")
        arrays, _ = to_arrays({"train": train, "val": validation, "test": held_out}, data, scale, classes)
        with nested_run(f"fold {index}", {"fold": index, "folds": k}):
            network, _ = fit_classifier(arrays, model, quiet, seed, checkpoints=False)
        probabilities = class_probabilities(network.predict(arrays["x_test"], verbose=0))
        row = {"fold": index, "train_rows": len(train), "validation_rows": len(validation),
               "test_rows": len(held_out),
               "accuracy": float(accuracy_score(arrays["y_test"], probabilities.argmax(axis=1))),
               "baseline_accuracy": float(baseline_model(arrays).score(arrays["x_test"], arrays["y_test"]))}
        logger.info("Fold %d of %d: accuracy %.4f (logistic baseline %.4f)", index, k, row["accuracy"],
                    row["baseline_accuracy"])
        rows.append(row)
    return pd.DataFrame(rows)


def summary(report: pd.DataFrame) -> dict[str, float]:
    """Mean and standard deviation (over the folds, ddof=0 as scikit-learn users report it) of
    the accuracy of the network and of the baseline."""
    result = {}
    for prefix in ("", "baseline_"):
        values = report[f"{prefix}accuracy"].to_numpy()
        result[f"{prefix}cv_accuracy_mean"] = float(values.mean())
        result[f"{prefix}cv_accuracy_std"] = float(values.std())
    return result
