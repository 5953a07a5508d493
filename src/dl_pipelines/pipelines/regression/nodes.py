"""Nodes of the regression app, stage by stage. Pure functions: frames, arrays, models, dicts and
typed settings in, frames, arrays, models and dicts out; the catalog does the I/O (apart from
reading the raw files of the chosen dataset, as every app's ingestion does) and kedro-mlflow owns
the MLflow run."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from matplotlib.figure import Figure
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from dl_pipelines.core import plotting
from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import StandardTraining
from dl_pipelines.core.training import compile_with, train_model
from dl_pipelines.pipelines.regression.models import build_regressor, plain_model
from dl_pipelines.pipelines.regression.serving import TrainedRegressor
from dl_pipelines.pipelines.regression.settings import (
    DataSettings,
    GradientTapeSettings,
    PreprocessingSettings,
    RegressionModelSettings,
    RegressionSplit,
)

logger = logging.getLogger(__name__)

SPLIT_COLUMN = "_split"  # "train" / "test" where the dataset has a published split
TOY_W, TOY_B = 2.0, -1.0  # the course's line y = 2x - 1
BOSTON_COLUMNS = ["CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX",
                  "PTRATIO", "B", "LSTAT"]


# --- ingestion ---------------------------------------------------------------------------------


def _diabetes() -> pd.DataFrame:
    """scikit-learn's diabetes data with its raw (unscaled) feature values."""
    frame = load_diabetes(as_frame=True, scaled=False).frame
    return frame.rename(columns={"target": "progression"})


def _linear_toy() -> pd.DataFrame:
    """The course's six points on y = 2x - 1 (x = -1..4) to learn from; the test points x = 5..10
    ask the course's question (what is y at x = 10?) on the same line."""
    train, test = np.arange(-1.0, 5.0), np.arange(5.0, 11.0)
    x = np.concatenate([train, test])
    return pd.DataFrame({"x": x, "y": TOY_W * x + TOY_B,
                         SPLIT_COLUMN: ["train"] * len(train) + ["test"] * len(test)})


def _boston_housing(raw_files: RawFiles) -> pd.DataFrame:
    """The Keras ``boston_housing.npz`` with the split of ``keras.datasets.boston_housing.
    load_data()``: the 506 rows shuffled by ``np.random.RandomState(113)``, then the first 404
    for training and the last 102 for testing."""
    path = raw_files.fetch("boston_housing", ["boston_housing.npz"])["boston_housing.npz"]
    with np.load(path, allow_pickle=False) as data:
        x, y = data["x"], data["y"]
    indices = np.arange(len(x))
    np.random.RandomState(113).shuffle(indices)
    n_train = int(len(x) * (1 - 0.2))
    frame = pd.DataFrame(x[indices], columns=BOSTON_COLUMNS)
    frame["MEDV"] = y[indices]
    frame[SPLIT_COLUMN] = ["train"] * n_train + ["test"] * (len(x) - n_train)
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        # The course's fuel file has bare-CR line endings; pandas' C parser reads those too.
        return pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"Cannot read {path} as a CSV file ({error}).") from None


def load_table(name: str, raw_files: RawFiles, filepath: str | None = None) -> pd.DataFrame:
    """The dataset ``name`` as one table (a ``_split`` column where it has a published split).

    Raises:
        ConfigurationError: The CSV file ``filepath`` (``name`` csv) does not exist or cannot be read.
    """
    if name == "diabetes":
        return _diabetes()
    if name == "linear_toy":
        return _linear_toy()
    if name == "boston_housing":
        return _boston_housing(raw_files)
    if name == "fuel_consumption":
        name = "FuelConsumptionCo2.csv"
        return _read_csv(raw_files.fetch("fuel_consumption", [name])[name])
    if not Path(filepath).is_file():
        raise ConfigurationError(
            f"Parameter regression.data.filepath={filepath!r}: no such file; expected the path of a "
            "CSV file (relative to the project root).")
    return _read_csv(Path(filepath))


def feature_columns(table: pd.DataFrame, data: DataSettings) -> list[str]:
    """The feature columns: ``data.features``, or every column but the target and the split."""
    if data.features:
        return list(data.features)
    return [c for c in table.columns if c not in (data.target, SPLIT_COLUMN)]


def check_table(table: pd.DataFrame, data: DataSettings, source: str) -> None:
    """Stop with one line naming the column and the rows affected when the table cannot be used:
    a missing column, a missing value, text in a numeric column."""
    rows = len(table)
    target, categorical = data.target, list(data.categorical or [])
    features = feature_columns(table, data)
    for column, role in [(target, "regression.data.target"),
                         *[(c, "regression.data.features") for c in features],
                         *[(c, "regression.data.categorical") for c in categorical]]:
        if column not in table.columns:
            raise ConfigurationError(
                f"Column {column!r} ({role}) is not in {source} (all {rows} rows lack it); "
                f"its columns are: {', '.join(map(str, table.columns))}.")
    extra = [c for c in categorical if c not in features]
    if extra:
        raise ConfigurationError(f"Column {extra[0]!r} is in regression.data.categorical but not "
                                 "among the features; add it to regression.data.features.")
    if not features:
        raise ConfigurationError(f"{source} has no feature column besides the target {target!r}.")
    for column in [target, *features]:
        missing = table[column].isna()
        if missing.any():
            first = int(np.flatnonzero(missing.to_numpy())[0]) + 1
            raise ConfigurationError(
                f"Column {column!r} of {source} has no value in {int(missing.sum())} of {rows} rows "
                f"(first: data row {first}); fill or drop those rows.")
    for column in [target, *[c for c in features if c not in categorical]]:
        text = pd.to_numeric(table[column], errors="coerce").isna()
        if text.any():
            example = table[column][text].iloc[0]
            fix = ("the target must be a number" if column == target else
                   "list it in regression.data.categorical to one-hot encode it, or leave it out of "
                   "regression.data.features")
            raise ConfigurationError(
                f"Column {column!r} of {source} is not numeric: {int(text.sum())} of {rows} rows "
                f"hold text such as {example!r}; {fix}.")
    if rows < 5:
        raise ConfigurationError(f"{source} has only {rows} rows; expected at least 5 to split.")


def ingest_table(raw_files: RawFiles, dataset: str, data: DataSettings) -> pd.DataFrame:
    """Load the dataset ``regression.dataset`` names (downloading it the first time), check it and
    keep the target, the features and the published split.

    The first node of the app, and the one that reads the data: the checks that need the data
    (the CSV file exists, has the columns ``regression.data`` names, holds numbers where numbers
    are expected) stop the run here, before any long work, with one line naming file, column and
    rows.

    Returns:
        A table of raw feature values (numbers, categories as text), the float64 target, and
        ``_split`` where the dataset has a published split; ``attrs["dataset"]`` names it.
    """
    table = load_table(dataset, raw_files, data.filepath)
    source = data.filepath if dataset == "csv" else f"the {dataset} data"
    check_table(table, data, source)
    features, categorical = feature_columns(table, data), list(data.categorical or [])
    # Numbers keep their kind (whole numbers stay int64), so the served model's signature takes
    # rows exactly as read from the data: MLflow will not cast int64 into a float64 column.
    columns = {c: table[c].astype(str) if c in categorical else pd.to_numeric(table[c])
               for c in features}
    columns[data.target] = table[data.target].astype("float64")
    if SPLIT_COLUMN in table.columns:
        columns[SPLIT_COLUMN] = table[SPLIT_COLUMN].astype(str)
    result = pd.DataFrame(columns)
    result.attrs["dataset"] = dataset
    logger.info("%s: %d rows, target %s, %d features (%d categorical)", dataset, len(result),
                data.target, len(features), len(categorical))
    return result


# --- preprocessing -----------------------------------------------------------------------------


def make_transform(numeric: list[str], categorical: list[str], scale: bool) -> ColumnTransformer:
    """Standardise the numeric columns (or pass them through) and one-hot encode the categories.

    Categories not seen in training become all-zero rows rather than errors, so a served model
    still answers for, say, a fuel type the training rows did not have.
    """
    return ColumnTransformer(
        [("numeric", StandardScaler() if scale else "passthrough", numeric),
         ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)],
        verbose_feature_names_out=False,
    )


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
    ingested = table.attrs.get("dataset")
    if ingested != dataset:
        raise ConfigurationError(
            f"The ingested table is {ingested!r} but regression.dataset is {dataset!r}: "
            "run the ingestion stage first (kedro run --pipelines=regression_ingestion --params "
            f"regression.dataset={dataset}).")
    target, categorical = data.target, list(data.categorical or [])
    features = feature_columns(table, data)
    if missing := [c for c in [target, *features] if c not in table.columns]:
        raise ConfigurationError(
            f"Column {missing[0]!r} is not in the ingested table: run the ingestion stage again "
            "(kedro run --pipelines=regression_ingestion).")
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
    numeric = [c for c in features if c not in categorical]
    transform = make_transform(numeric, categorical, preprocessing.scale)
    transform.fit(train_rows[features])

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

    Returns:
        The trained model (best validation loss when early stopping is on) and its per-epoch
        history of training and validation loss and mean absolute error.
    """
    n_features = model_input["x_train"].shape[1]

    def build() -> keras.Model:
        regressor = build_regressor(n_features, model, trace_weights=True)
        return compile_with(regressor, training, len(model_input["x_train"]), loss="mse", metrics=["mae"])

    has_validation = len(model_input["x_val"]) > 0
    validation = (model_input["x_val"], model_input["y_val"]) if has_validation else None
    logger.info("Training %s on %s for up to %d epochs", model.architecture, model_input["dataset"],
                training.epochs)
    trained, history = train_model(build, (model_input["x_train"], model_input["y_train"]),
                                   validation, app="regression", seed=seed, training=training,
                                   monitor="val_loss" if has_validation else "loss")
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


def _scores(y_true: np.ndarray, y_pred: np.ndarray, prefix: str) -> dict[str, float]:
    return {f"{prefix}_mse": float(mean_squared_error(y_true, y_pred)),
            f"{prefix}_mae": float(mean_absolute_error(y_true, y_pred)),
            f"{prefix}_r2": float(r2_score(y_true, y_pred))}


def baseline_model(model_input: dict[str, np.ndarray]) -> LinearRegression:
    """Ordinary least squares (scikit-learn ``LinearRegression``) on the same training rows."""
    return LinearRegression().fit(model_input["x_train"], model_input["y_train"])


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
    metrics = {**_scores(y_test, y_pred, "test"), **_scores(y_test, baseline_pred, "baseline_test"),
               **_scores(y_test, tape_pred, "gradient_tape_test")}
    if x_test.shape[1] == 1:
        metrics.update(gradient_tape_w=float(tape_w[0]), gradient_tape_b=float(tape_b))
        if model.name == "linear":
            kernel, bias = model.get_layer("neuron").get_weights()
            metrics.update(keras_w=float(kernel[0, 0]), keras_b=float(bias[0]))
    logger.info("Test R2 %.4f, MAE %.4f (least-squares baseline: R2 %.4f, MAE %.4f)",
                metrics["test_r2"], metrics["test_mae"], metrics["baseline_test_r2"],
                metrics["baseline_test_mae"])
    predictions = {"y_true": y_test, "y_pred": y_pred.astype("float32"),
                   "baseline_pred": baseline_pred.astype("float32")}
    mlflow_metrics = {key: {"value": value, "step": 0} for key, value in metrics.items()}
    return mlflow_metrics, predictions


def plot_learning_curves(history: dict[str, list[float]]) -> Figure:
    """Training against validation loss (MSE) and mean absolute error by epoch."""
    curves = {k: v for k, v in history.items() if k.removeprefix("val_") in ("loss", "mae")}
    return plotting.learning_curves(curves, title="regression: learning curves")


def plot_predicted_vs_actual(predictions: dict[str, np.ndarray]) -> Figure:
    """Predicted against true test targets, for the network and the least-squares baseline."""
    y_true = predictions["y_true"]
    fig = Figure(figsize=(6, 5.5), layout="constrained")
    ax = fig.subplots()
    ax.scatter(y_true, predictions["baseline_pred"], s=14, alpha=0.5, label="least squares")
    ax.scatter(y_true, predictions["y_pred"], s=14, alpha=0.7, label="network")
    low, high = float(np.min(y_true)), float(np.max(y_true))
    ax.plot([low, high], [low, high], color="black", linewidth=1, label="perfect prediction")
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.set_title(f"Test set: predicted vs actual (R2 {r2_score(y_true, predictions['y_pred']):.3f})")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def plot_residuals(predictions: dict[str, np.ndarray]) -> Figure:
    """Residuals (actual - predicted) of the network against its predictions, and their spread."""
    residuals = predictions["y_true"] - predictions["y_pred"]
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    scatter, histogram = fig.subplots(1, 2)
    scatter.scatter(predictions["y_pred"], residuals, s=14, alpha=0.7)
    scatter.axhline(0, color="black", linewidth=1)
    scatter.set_xlabel("predicted")
    scatter.set_ylabel("actual - predicted")
    scatter.set_title("Residuals against predictions")
    histogram.hist(residuals, bins=min(30, max(5, len(residuals) // 5)))
    histogram.axvline(0, color="black", linewidth=1)
    histogram.set_xlabel("actual - predicted")
    histogram.set_ylabel("test rows")
    histogram.set_title("Distribution of the residuals")
    for ax in (scatter, histogram):
        ax.grid(alpha=0.3)
    return fig


def plot_weight_paths(gradient_tape_fit: dict[str, np.ndarray], history: dict[str, list[float]],
                      model_input: dict[str, np.ndarray]) -> Figure:
    """The path of w and b over the epochs, against their target values.

    The target is the truth (w = 2, b = -1) for linear_toy, and otherwise the least-squares
    solution on the same transformed features, which gradient descent converges to. The Keras
    path is drawn where the network is a one-feature linear model.
    """
    toy = str(model_input["dataset"]) == "linear_toy"
    if toy:
        target_w, target_b, target = np.array([TOY_W]), TOY_B, "truth"
    else:
        baseline = baseline_model(model_input)
        target_w, target_b, target = baseline.coef_, float(baseline.intercept_), "least squares"
    names = [str(n) for n in model_input["feature_names"]]
    fig = Figure(figsize=(15, 4.5), layout="constrained")
    ax_w, ax_b, ax_loss = fig.subplots(1, 3)
    epochs = np.arange(len(gradient_tape_fit["b"]))
    colors = [f"C{i % 10}" for i in range(len(names))]
    for index, name in enumerate(names):
        label = "gradient tape" if len(names) == 1 else name
        ax_w.plot(epochs, gradient_tape_fit["w"][:, index], color=colors[index], label=label)
        ax_w.axhline(target_w[index], color=colors[index], linestyle=":", linewidth=1)
    ax_b.plot(epochs, gradient_tape_fit["b"], label="gradient tape")
    if "w" in history:  # recorded by the one-feature linear Keras model, after each epoch
        keras_epochs = np.arange(1, len(history["w"]) + 1)
        ax_w.plot(keras_epochs, history["w"], linestyle="--", color="C3", label="Keras fit()")
        ax_b.plot(keras_epochs, history["b"], linestyle="--", color="C3", label="Keras fit()")
    ax_b.axhline(target_b, color="black", linestyle=":", linewidth=1, label=target)
    ax_w.plot([], [], color="black", linestyle=":", linewidth=1, label=target)
    ax_loss.plot(epochs, gradient_tape_fit["loss"], label="gradient tape")
    if "w" in history:
        ax_loss.plot(np.arange(1, len(history["loss"]) + 1), history["loss"], linestyle="--",
                     color="C3", label="Keras fit()")
    ax_loss.set_yscale("log")
    for ax, name in ((ax_w, "w"), (ax_b, "b"), (ax_loss, "training MSE")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        if len(names) <= 12 or ax is not ax_w:
            ax.legend(fontsize=8)
    learned = ", ".join(f"{v:.3f}" for v in gradient_tape_fit["w"][-1][:3])
    fig.suptitle(f"Linear fit by gradient descent: w = [{learned}{'...' if len(names) > 3 else ''}]"
                 f", b = {gradient_tape_fit['b'][-1]:.3f} (dotted: {target})")
    return fig


def package_model(model: keras.Model, transform: ColumnTransformer, test_rows: pd.DataFrame,
                  data: DataSettings) -> TrainedRegressor:
    """Put the fitted transform in front of the network for serving; a few raw test rows (without
    the target ``regression.data.target``) are the input example that MLflow reads the signature
    from."""
    target = data.target
    return TrainedRegressor(network=model, transform=transform,
                            example=test_rows.drop(columns=[target]).head(5))
