"""Nodes of the regression app, stage by stage: frames, arrays, models and typed settings in and
out; the catalog does the I/O and kedro-mlflow owns the MLflow run."""

from __future__ import annotations

import logging
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from fsspec.core import OpenFile
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.mlflow_metrics import mlflow_metrics
from dl_pipelines.core.settings import StandardTraining
from dl_pipelines.core.table_serving import TrainedTableModel
from dl_pipelines.core.tables import (
    SPLIT_COLUMN,
    check_ingested,
    check_table,
    feature_columns,
    fit_transform,
    read_table,
    typed_columns,
)
from dl_pipelines.core.training import compile_with, train_model
from dl_pipelines.pipelines.regression.metrics import baseline_model, scores
from dl_pipelines.pipelines.regression.models import build_regressor, plain_model, with_target_scale
from dl_pipelines.pipelines.regression.settings import (
    DataSettings,
    GradientTapeSettings,
    PreprocessingSettings,
    RegressionModelSettings,
    RegressionSplit,
)
from dl_pipelines.pipelines.regression.sources import load_table

logger = logging.getLogger(__name__)


# --- ingestion ---------------------------------------------------------------------------------


def ingest_table(raw_files: RawFiles, user_csv: OpenFile | None, dataset: str,
                 data: DataSettings) -> pd.DataFrame:
    """Load the dataset ``regression.dataset`` names (downloading it the first time), check it and
    keep the target, the features and the published split.

    The first node, and the one that reads the data: a column ``regression.data`` names that is
    missing, or text where numbers are expected, stops the run here with one line naming file,
    column and rows.

    Returns:
        A table of raw feature values (numbers, categories as text), the float64 target, and
        ``_split`` where the dataset has a published split; ``attrs["dataset"]`` names it.
    """
    table, source = read_table(dataset, user_csv, "regression", lambda: load_table(dataset, raw_files))
    check_table(table, data, source)
    features, categorical = feature_columns(table, data), list(data.categorical or [])
    result = typed_columns(table, data, "float64")
    result.attrs["dataset"] = dataset
    logger.info("%s: %d rows, target %s, %d features (%d categorical)", dataset, len(result),
                data.target, len(features), len(categorical))
    return result


# --- preprocessing -----------------------------------------------------------------------------


def split_table(table: pd.DataFrame, dataset: str, data: DataSettings, split: RegressionSplit,
                preprocessing: PreprocessingSettings, seed: int
                ) -> tuple[dict[str, np.ndarray], ColumnTransformer, pd.DataFrame]:
    """Split into train / validation / test, seeded, and fit the feature transform on the
    training rows only.

    The published test split is kept where there is one (boston_housing, linear_toy); otherwise
    ``split.test_fraction`` of the rows go to the test set. The validation set is
    ``split.validation_fraction`` of the training rows (0: no validation set).

    Returns:
        The transformed arrays (float32) with the feature names, the fitted transform, and the
        raw test rows (features and target) that the served model is checked against.
    """
    target = data.target
    features = feature_columns(table, data)
    check_ingested(table, "regression", dataset, [target, *features])
    if SPLIT_COLUMN in table.columns:
        train_rows = table[table[SPLIT_COLUMN] == "train"]
        test_rows = table[table[SPLIT_COLUMN] == "test"]
    else:
        train_rows, test_rows = train_test_split(table, test_size=split.test_fraction,
                                                 random_state=seed)
    val_rows = train_rows.iloc[:0]
    if split.validation_fraction > 0:
        train_rows, val_rows = train_test_split(train_rows, test_size=split.validation_fraction,
                                                random_state=seed)
    transform = fit_transform(train_rows, data, preprocessing.scale)

    def arrays(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(transform.transform(rows[features]), dtype="float32")
        return x, rows[target].to_numpy(dtype="float32")

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = map(arrays, (train_rows, val_rows, test_rows))
    logger.info("Split: %d train, %d validation, %d test rows; %d model inputs", len(x_train),
                len(x_val), len(x_test), x_train.shape[1])
    model_input = {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val,
                   "x_test": x_test, "y_test": y_test,
                   "feature_names": np.array(transform.get_feature_names_out(), dtype=str),
                   "dataset": np.array(dataset)}
    return model_input, transform, test_rows[[*features, target]].reset_index(drop=True)


# --- training ----------------------------------------------------------------------------------


def train_regressor(model_input: dict[str, np.ndarray], model: RegressionModelSettings,
                    training: StandardTraining, seed: int
                    ) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train the regressor ``regression.model.architecture`` names with a mean-squared-error loss.

    A one-feature linear model (linear_toy) also reports its weight and bias each epoch, so
    their path is in the history and in MLflow (``regression.train_w``, ``regression.train_b``).

    With ``regression.model.standardize_target`` the network learns ``(y - mean) / std`` (mean and
    std of the training rows; the history's losses are in those units) and the returned model
    ends with a ``Rescaling`` back to the target's units.

    Returns:
        The trained model (best validation loss when early stopping is on) and its per-epoch
        history of training and validation loss and mean absolute error.
    """
    n_features = model_input["x_train"].shape[1]
    y_train, y_val = model_input["y_train"], model_input["y_val"]
    if model.standardize_target:
        # A target in the 100,000s is out of reach of a network whose output starts near 0 and
        # moves by about the learning rate a step; standardised, it is of order 1 like the features.
        mean, std = float(y_train.mean(dtype="float64")), float(y_train.std(dtype="float64")) or 1.0
        y_train, y_val = (y_train - mean) / std, (y_val - mean) / std

    def build() -> keras.Model:
        # w and b traced in standardised units would not compare with the gradient-tape fit's.
        regressor = build_regressor(n_features, model, trace_weights=not model.standardize_target)
        return compile_with(regressor, training, len(model_input["x_train"]), loss="mse", metrics=["mae"])

    has_validation = len(model_input["x_val"]) > 0
    validation = (model_input["x_val"], y_val) if has_validation else None
    logger.info("Training %s on %s for up to %d epochs", model.architecture, model_input["dataset"],
                training.epochs)
    trained, history = train_model(build, (model_input["x_train"], y_train),
                                   validation, app="regression", seed=seed, training=training,
                                   monitor="val_loss" if has_validation else "loss")
    if model.standardize_target:
        logger.info("Target standardised for training (mean %.6g, std %.6g); the model rescales "
                    "its output back", mean, std)
        return with_target_scale(plain_model(trained), mean, std), history
    return plain_model(trained), history


def fit_by_gradient_tape(model_input: dict[str, np.ndarray], gradient_tape: GradientTapeSettings
                         ) -> dict[str, np.ndarray]:
    """The course's linear regression from scratch: a weight vector ``w`` and a bias ``b`` as
    ``tf.Variable``s, the mean squared error of ``x @ w + b``, its gradients from
    ``tf.GradientTape``, and plain full-batch gradient-descent steps ``w -= lr * dL/dw``.

    Returns:
        The path of the fit: ``w`` (epochs + 1, features), ``b`` and ``loss`` (epochs + 1,),
        starting from w = 0, b = 0.
    """
    epochs, learning_rate = gradient_tape.epochs, gradient_tape.learning_rate
    x = tf.constant(model_input["x_train"])
    y = tf.constant(model_input["y_train"])
    w = tf.Variable(tf.zeros(x.shape[1]), name="w")
    b = tf.Variable(0.0, name="b")

    def loss_fn() -> tf.Tensor:
        return tf.reduce_mean(tf.square(y - (tf.linalg.matvec(x, w) + b)))

    @tf.function  # one compiled step instead of a few eager ops per epoch
    def step() -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = loss_fn()
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * dw)
        b.assign_sub(learning_rate * db)
        return loss

    w_path, b_path, losses = [w.numpy()], [b.numpy()], []
    for _epoch in range(epochs):
        losses.append(float(step()))
        w_path.append(w.numpy())
        b_path.append(b.numpy())
    losses.append(float(loss_fn()))
    logger.info("Gradient-tape fit: training MSE %.4f after %d epochs", losses[-1], epochs)
    return {"w": np.array(w_path, dtype="float32"), "b": np.array(b_path, dtype="float32"),
            "loss": np.array(losses, dtype="float32")}


# --- evaluation --------------------------------------------------------------------------------


def evaluate_regressor(model: keras.Model, model_input: dict[str, np.ndarray],
                       gradient_tape_fit: dict[str, np.ndarray]
                       ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Score the network, the least-squares baseline and the gradient-tape fit on the test set.

    Returns:
        MLflow metrics: ``test_{mse,mae,r2}``, ``baseline_test_*``, ``gradient_tape_test_*``; for a
        one-feature linear model also the learned ``keras_w``/``keras_b`` and
        ``gradient_tape_w``/``gradient_tape_b``. And the test targets and predictions.
    """
    x_test, y_test = model_input["x_test"], model_input["y_test"]
    y_pred = model.predict(x_test, batch_size=1024, verbose=0).reshape(-1)
    baseline_pred = baseline_model(model_input).predict(x_test)
    tape_w, tape_b = gradient_tape_fit["w"][-1], gradient_tape_fit["b"][-1]
    tape_pred = x_test @ tape_w + tape_b
    metrics = {**scores(y_test, y_pred, "test"), **scores(y_test, baseline_pred, "baseline_test"),
               **scores(y_test, tape_pred, "gradient_tape_test")}
    if x_test.shape[1] == 1:
        metrics.update(gradient_tape_w=float(tape_w[0]), gradient_tape_b=float(tape_b))
        if model.name == "linear" and model.layers[-1].name == "neuron":  # not in standardised units
            kernel, bias = model.get_layer("neuron").get_weights()
            metrics.update(keras_w=float(kernel[0, 0]), keras_b=float(bias[0]))
    logger.info("Test R2 %.4f, MAE %.4f (least-squares baseline: R2 %.4f, MAE %.4f)",
                metrics["test_r2"], metrics["test_mae"], metrics["baseline_test_r2"],
                metrics["baseline_test_mae"])
    predictions = {"y_true": y_test, "y_pred": y_pred.astype("float32"),
                   "baseline_pred": baseline_pred.astype("float32")}
    return mlflow_metrics(metrics), predictions


def package_model(model: keras.Model, transform: ColumnTransformer, test_rows: pd.DataFrame,
                  data: DataSettings) -> TrainedTableModel:
    """Put the fitted transform in front of the network for serving; a few raw test rows (without
    the target ``regression.data.target``) are the input example that MLflow reads the signature
    from."""
    target = data.target
    return TrainedTableModel(network=model, transform=transform,
                            example=test_rows.drop(columns=[target]).head(5))
