"""Nodes of the lstm app, stage by stage. Pure functions: arrays, models and typed settings in,
arrays, models and dicts out; the catalog does the I/O and kedro-mlflow owns the MLflow run.

A series travels as a dict of arrays: ``time`` (ISO dates or row numbers, as text), ``values``
(rows x series, float64, NaN where a value is missing), ``columns`` (the series' names),
``time_kind`` (``date`` or ``index``) and ``dataset``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dl_pipelines.core import plotting
from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import StandardTraining
from dl_pipelines.core.training import compile_with, train_model
from dl_pipelines.pipelines.lstm.models import build_forecaster, with_scaling
from dl_pipelines.pipelines.lstm.settings import (
    GENERATED,
    ChronologicalSplit,
    CsvSettings,
    ForecasterSettings,
    ForecastSettings,
    GeneratedSettings,
    PreprocessingSettings,
    length_problem,
    split_sizes,
)

logger = logging.getLogger(__name__)

# Cells that mean "no value on this day" in a CSV (FRED writes "." for US bank holidays).
MISSING_MARKERS = frozenset({"", ".", "NA", "N/A", "NaN", "nan", "null", "NULL"})
USD_EUR_FILE = "DEXUSEU.csv"


# --- ingestion ---------------------------------------------------------------------------------


def logistic_map(length: int, x0: float = 0.1, r: float = 4.0) -> np.ndarray:
    """The course's chaotic series x(t+1) = r x(t) (1 - x(t)), starting at x(0) = x0."""
    values = np.empty(length)
    values[0] = x0
    for t in range(1, length):
        values[t] = r * values[t - 1] * (1 - values[t - 1])
    return values


def noisy_sine(length: int, seed: int, frequency: float = 0.02, noise: float = 2.0) -> np.ndarray:
    """The course's sin(frequency t) + noise U(0, 1), seeded."""
    t = np.arange(length)
    return np.sin(frequency * t) + noise * np.random.default_rng(seed).uniform(0, 1, length)


def read_csv_series(path: str | Path, time_column: str | None = None,
                    value_columns: list[str] | None = None, date_format: str | None = None,
                    where: str = "lstm.csv") -> dict[str, np.ndarray]:
    """Read a CSV of one or more series, checking it cell by cell.

    Args:
        path: The CSV file.
        time_column: The date column (sorted chronologically), or None to take the row order.
        value_columns: The series to forecast; None means every column but the time column.
        date_format: A ``strftime`` format for the dates; None lets pandas infer it.
        where: The parameter section named in error messages.

    Returns:
        The series dict (see the module docstring); missing cells (empty, ``.``, NA) are NaN.

    Raises:
        ConfigurationError: One line naming the file, column, row and value that cannot be used.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigurationError(f"{where}.path={str(path)!r} does not exist; expected a CSV file "
                                 "with a date (or index) column and one or more value columns.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigurationError(f"{path} is not a readable CSV file ({reason}).") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    known = ", ".join(frame.columns)
    if time_column is not None and time_column not in frame.columns:
        raise ConfigurationError(f"{path} has no column {time_column!r} ({where}.time_column); "
                                 f"its columns are: {known}.")
    if value_columns is None:
        value_columns = [column for column in frame.columns if column != time_column]
    for column in value_columns:
        if column not in frame.columns:
            raise ConfigurationError(f"{path} has no column {column!r} ({where}.value_columns); "
                                     f"its columns are: {known}.")
    if not value_columns:
        raise ConfigurationError(f"{path} has no value column besides {time_column!r}; expected at "
                                 "least one numeric column to forecast.")

    values = np.empty((len(frame), len(value_columns)))
    for index, column in enumerate(value_columns):
        text = frame[column].str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        bad = numbers.isna() & ~text.isin(MISSING_MARKERS)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ConfigurationError(
                f"{path}: value column {column!r} has a non-numeric value {text.iloc[row]!r} (line "
                f"{row + 2}); expected numbers, with empty cells or '.' for missing values.")
        values[:, index] = numbers.to_numpy(dtype=float)

    if time_column is None:
        time, kind = np.arange(len(frame)).astype(str), "index"
    else:
        text = frame[time_column].str.strip()
        dates = pd.to_datetime(text, errors="coerce", format=date_format)
        if dates.isna().any():
            row = int(np.flatnonzero(dates.isna().to_numpy())[0])
            raise ConfigurationError(
                f"{path}: date column {time_column!r} has a value that is not a date: "
                f"{text.iloc[row]!r} (line {row + 2}); fix the file, set {where}.date_format, or set "
                f"{where}.time_column: null to use the row order.")
        if dates.duplicated().any():
            row = int(np.flatnonzero(dates.duplicated().to_numpy())[0])
            raise ConfigurationError(f"{path}: date column {time_column!r} repeats {text.iloc[row]!r} "
                                     f"(line {row + 2}); expected one row per date.")
        order = np.argsort(dates.to_numpy(), kind="stable")  # a file may list newest first
        values = values[order]
        time, kind = dates.iloc[order].dt.strftime("%Y-%m-%d").to_numpy().astype(str), "date"
    return {"time": time, "values": values, "columns": np.array(value_columns, dtype=str),
            "time_kind": np.array(kind)}


def ingest_series(raw_files: RawFiles, dataset: str, generated: GeneratedSettings, csv: CsvSettings,
                  split: ChronologicalSplit, preprocessing: PreprocessingSettings) -> dict[str, np.ndarray]:
    """Generate or load the series ``lstm.dataset`` names (downloading usd_eur the first time).

    A file is checked here, the first node, so that a bad one stops the run before any work: a
    wrong date, a word among numbers (one line naming the file, column and row) or a series too
    short for the windows once its gaps are treated.

    Returns:
        The series dict (see the module docstring), missing values still NaN.
    """
    if dataset in GENERATED:  # their length is checked with the settings
        length = generated.length
        values = (logistic_map(length, generated.logistic_x0) if dataset == "logistic_map"
                  else noisy_sine(length, generated.noise_seed))
        series = {"time": np.arange(length).astype(str), "values": values[:, None],
                  "columns": np.array([dataset]), "time_kind": np.array("index")}
    else:
        if dataset == "usd_eur":
            path = raw_files.fetch("usd_eur", [USD_EUR_FILE])[USD_EUR_FILE]
            # FRED names the date column DATE in older files and observation_date in newer ones.
            time_column = pd.read_csv(path, nrows=0).columns[0]
            series = read_csv_series(path, time_column, ["DEXUSEU"], where="usd_eur")
        else:
            path = csv.path
            series = read_csv_series(path, csv.time_column, csv.value_columns, csv.date_format)
        values, _ = fill_gaps(series["values"], preprocessing.gaps)
        check_length(len(values), split, preprocessing, str(path))
    missing = int(np.isnan(series["values"]).any(axis=1).sum())
    logger.info("%s: %d rows x %d series (%d with missing values), %s .. %s", dataset,
                len(series["values"]), series["values"].shape[1], missing, series["time"][0],
                series["time"][-1])
    return {**series, "dataset": np.array(dataset)}


# --- preprocessing -----------------------------------------------------------------------------


def check_length(rows: int, split: ChronologicalSplit, preprocessing: PreprocessingSettings,
                 source: str) -> None:
    """Stop with one line when a series is too short for ``time_steps`` + ``horizon``."""
    if problem := length_problem(rows, split, preprocessing):
        raise ConfigurationError(f"{source} {problem}.")


def fill_gaps(values: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Treat missing values (NaN) the way ``how`` says.

    - ``drop``: leave out every row with a missing value (a trading-day series stays a sequence of
      observed days);
    - ``ffill``: carry the last observed value forward (a day without a quote repeats the last);
    - ``interpolate``: straight line between the observed neighbours.

    Leading (and for ``interpolate`` trailing) gaps have nothing to fill from and are dropped.

    Returns:
        ``(values, kept)``: the treated values and the mask of the input rows they come from.
    """
    frame = pd.DataFrame(values)
    if how == "ffill":
        frame = frame.ffill()
    elif how == "interpolate":
        frame = frame.interpolate(method="linear", limit_area="inside")
    kept = frame.notna().all(axis=1).to_numpy()
    return frame.to_numpy()[kept], kept


def fit_scaler(train: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-series ``(offset, scale)`` with scaled = (x - offset) / scale, from training rows only.

    ``standard``: mean and standard deviation; ``minmax``: minimum and range; ``none``: 0 and 1.
    A constant series gets scale 1 rather than a division by zero.
    """
    if how == "standard":
        offset, scale = train.mean(axis=0), train.std(axis=0)
    elif how == "minmax":
        offset, scale = train.min(axis=0), np.ptp(train, axis=0)
    else:
        offset, scale = np.zeros(train.shape[1]), np.ones(train.shape[1])
    return offset, np.where(scale > 0, scale, 1.0)


def sliding_windows(values: np.ndarray, start: int, stop: int, time_steps: int,
                    horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every window whose targets lie in ``values[start:stop]``, in time order.

    Returns:
        ``x`` (samples, time_steps, series): the ``time_steps`` values before each target;
        ``y`` (samples, horizon, series): the next ``horizon`` values; ``t``: the row of each
        sample's first target. A window may reach back before ``start`` (the past is known when
        forecasting) but never a target past ``stop``.
    """
    first = max(start, time_steps)
    t = np.arange(first, stop - horizon + 1)
    series = values.shape[1]
    x = np.stack([values[i - time_steps:i] for i in t]) if len(t) else np.empty((0, time_steps, series))
    y = np.stack([values[i:i + horizon] for i in t]) if len(t) else np.empty((0, horizon, series))
    return x, y, t


def make_windows(series: dict[str, np.ndarray], dataset: str, split: ChronologicalSplit,
                 preprocessing: PreprocessingSettings) -> dict[str, np.ndarray]:
    """Treat the gaps, split chronologically, fit the scaling on the training part, and cut windows.

    Returns:
        ``x_<part>``, ``y_<part>``, ``t_<part>`` for train, val and test (raw units: the model
        scales them itself), the treated ``series``, its ``time``, the ``split`` sizes, the
        scaler's ``scale_offset`` and ``scale_scale``, and the naming arrays of the series dict.
    """
    ingested = str(series["dataset"])
    if ingested != dataset:
        raise ConfigurationError(
            f"The ingested series is {ingested!r} but lstm.dataset is {dataset!r}: run the ingestion "
            f"stage first (kedro run --pipelines=lstm_ingestion --params lstm.dataset={dataset}).")
    values, kept = fill_gaps(series["values"], preprocessing.gaps)
    if (~kept).any():
        logger.info("Gaps (%s): %d of %d rows dropped", preprocessing.gaps, int((~kept).sum()), len(kept))
    check_length(len(values), split, preprocessing, f"The series {ingested!r}")
    train, validation, test = split_sizes(len(values), split)
    offset, scale = fit_scaler(values[:train], preprocessing.scaling)
    bounds = {"train": (0, train), "val": (train, train + validation),
              "test": (train + validation, len(values))}
    output = {"series": values, "time": series["time"][kept], "columns": series["columns"],
              "time_kind": series["time_kind"], "dataset": series["dataset"],
              "split": np.array([train, validation, test]), "scale_offset": offset,
              "scale_scale": scale}
    for part, (start, stop) in bounds.items():
        x, y, t = sliding_windows(values, start, stop, preprocessing.time_steps, preprocessing.horizon)
        output.update({f"x_{part}": x, f"y_{part}": y, f"t_{part}": t})
    logger.info("Chronological split: %d train, %d validation, %d test rows -> %d / %d / %d windows "
                "of %d steps", train, validation, test, len(output["x_train"]), len(output["x_val"]),
                len(output["x_test"]), preprocessing.time_steps)
    return output


# --- training ----------------------------------------------------------------------------------


def train_forecaster(model_input: dict[str, np.ndarray], model: ForecasterSettings,
                     training: StandardTraining, seed: int) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train the forecaster ``lstm.model.architecture`` names on scaled windows.

    Returns:
        The trained model wrapped with its scaling (raw window in, forecast in the original
        units out; the best validation loss when early stopping is on) and its per-epoch history.
    """
    offset, scale = model_input["scale_offset"], model_input["scale_scale"]

    def scaled(part: str) -> tuple[np.ndarray, np.ndarray]:
        return tuple(((model_input[f"{kind}_{part}"] - offset) / scale).astype("float32")
                     for kind in ("x", "y"))

    _, time_steps, features = model_input["x_train"].shape
    horizon = model_input["y_train"].shape[1]

    def build() -> keras.Model:
        forecaster = build_forecaster(time_steps, features, horizon, model)
        return compile_with(forecaster, training, len(model_input["x_train"]), loss="mse",
                            metrics=["mae"])

    logger.info("Training %s (%d unit(s) x %d layer(s)) on %s for up to %d epochs",
                model.architecture, model.units, model.layers, model_input["dataset"],
                training.epochs)
    forecaster, history = train_model(build, scaled("train"), scaled("val"), app="lstm",
                                      seed=seed, training=training)
    return with_scaling(forecaster, offset, scale), history


# --- evaluation --------------------------------------------------------------------------------


def persistence(x: np.ndarray, horizon: int) -> np.ndarray:
    """The naive forecast: every future value equals the last value of the window."""
    return np.repeat(x[:, -1:, :], horizon, axis=1)


def extrapolate(model: keras.Model, window: np.ndarray, steps: int) -> np.ndarray:
    """Recursive multi-step forecast: predict, append the predictions to the window, repeat.

    Args:
        model: Raw window (1, time_steps, series) in, (1, horizon, series) out.
        window: The last ``time_steps`` observed values (time_steps, series).
        steps: How many future values to produce.

    Returns:
        (steps, series): from the second block on, built only from the model's own forecasts.
    """
    time_steps = window.shape[0]
    window = np.asarray(window, dtype="float32")
    forecasts: list[np.ndarray] = []
    produced = 0
    while produced < steps:
        block = np.asarray(model.predict_on_batch(window[None]))[0]  # (horizon, series)
        forecasts.append(block)
        produced += len(block)
        window = np.concatenate([window, block.astype("float32")])[-time_steps:]
    return np.concatenate(forecasts)[:steps]


def forecast(model: keras.Model, model_input: dict[str, np.ndarray],
             settings: ForecastSettings) -> dict[str, np.ndarray]:
    """One-step (and ``horizon``-step) forecasts of every window, persistence on the test
    windows, and the recursive extrapolation from the start of the test span.

    Returns:
        ``pred_<part>`` (samples, horizon, series) in original units, ``persistence_test``,
        ``extrapolation`` (steps, series) and ``extrapolation_start`` (its first row).
    """
    horizon = model_input["y_test"].shape[1]
    output = {f"pred_{part}": np.asarray(model.predict(model_input[f"x_{part}"].astype("float32"),
                                                       batch_size=512, verbose=0), dtype=float)
              for part in ("train", "val", "test")}
    output["persistence_test"] = persistence(model_input["x_test"], horizon)
    start = int(model_input["split"][0] + model_input["split"][1])
    time_steps = model_input["x_test"].shape[1]
    steps = settings.extrapolation_steps
    output["extrapolation"] = extrapolate(model, model_input["series"][start - time_steps:start], steps)
    output["extrapolation_start"] = np.array(start)
    return output


def error_metrics(truth: np.ndarray, predicted: np.ndarray, naive_mae: np.ndarray) -> dict[str, float]:
    """MSE and MAE averaged over the series, and MASE: each series' MAE over its in-sample
    one-step naive MAE, averaged. Arrays (samples, series), original units."""
    error = predicted - truth
    return {"mse": float(np.mean(error ** 2)), "mae": float(np.mean(np.abs(error))),
            "mase": float(np.mean(np.mean(np.abs(error), axis=0) / naive_mae))}


def evaluate_forecasts(forecasts: dict[str, np.ndarray], model_input: dict[str, np.ndarray]
                       ) -> tuple[dict[str, Any], pd.DataFrame]:
    """Score the one-step test forecasts against persistence, in the series' original units.

    Returns:
        MLflow metrics ``test_mse``, ``test_mae``, ``test_mase``, the same for persistence as
        ``baseline_test_*``, ``test_extrapolation_mse`` / ``_mae`` over the part of the
        extrapolation the test span covers, and for a horizon above one ``test_mse_all_steps``
        (and its baseline); and the test span as a table (time, truth, forecast, persistence).
    """
    train = model_input["series"][:int(model_input["split"][0])]
    naive_mae = np.mean(np.abs(np.diff(train, axis=0)), axis=0)
    naive_mae = np.where(naive_mae > 0, naive_mae, 1.0)  # a constant training part
    truth = model_input["y_test"]
    metrics: dict[str, float] = {}
    for prefix, predicted in (("test", forecasts["pred_test"]),
                              ("baseline_test", forecasts["persistence_test"])):
        for name, value in error_metrics(truth[:, 0], predicted[:, 0], naive_mae).items():
            metrics[f"{prefix}_{name}"] = value
        if truth.shape[1] > 1:
            metrics[f"{prefix}_mse_all_steps"] = float(np.mean((predicted - truth) ** 2))
    start = int(forecasts["extrapolation_start"])
    actual = model_input["series"][start:start + len(forecasts["extrapolation"])]
    extrapolated = forecasts["extrapolation"][:len(actual)]
    metrics["test_extrapolation_mse"] = float(np.mean((extrapolated - actual) ** 2))
    metrics["test_extrapolation_mae"] = float(np.mean(np.abs(extrapolated - actual)))
    logger.info("Test (one step, original units): MSE %.4g, MAE %.4g, MASE %.4f; persistence: "
                "MSE %.4g, MAE %.4g, MASE %.4f", metrics["test_mse"], metrics["test_mae"],
                metrics["test_mase"], metrics["baseline_test_mse"], metrics["baseline_test_mae"],
                metrics["baseline_test_mase"])
    rows = model_input["t_test"]
    table = pd.DataFrame({"time": model_input["time"][rows]})
    for index, name in enumerate(model_input["columns"]):
        table[f"{name}"] = truth[:, 0, index]
        table[f"{name}_forecast"] = forecasts["pred_test"][:, 0, index]
        table[f"{name}_persistence"] = forecasts["persistence_test"][:, 0, index]
    mlflow_metrics = {key: {"value": value, "step": 0} for key, value in metrics.items()}
    return mlflow_metrics, table


def _time_axis(model_input: dict[str, np.ndarray]) -> np.ndarray:
    """Dates for a dated series, row numbers otherwise."""
    if str(model_input["time_kind"]) == "date":
        return pd.to_datetime(model_input["time"]).to_numpy()
    return np.arange(len(model_input["series"]))


def _panels(model_input: dict[str, np.ndarray], title: str) -> tuple[Figure, list]:
    """One panel per series (at most four), sharing the time axis."""
    count = min(len(model_input["columns"]), 4)
    fig = Figure(figsize=(12, 3.2 * count + 0.6), layout="constrained")
    axes = list(fig.subplots(count, 1, squeeze=False, sharex=True)[:, 0])
    fig.suptitle(title)
    for ax, name in zip(axes, model_input["columns"], strict=False):
        ax.set_ylabel(str(name))
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("date" if str(model_input["time_kind"]) == "date" else "step")
    return fig, axes


def plot_forecast_overview(forecasts: dict[str, np.ndarray], model_input: dict[str, np.ndarray]) -> Figure:
    """The whole series (history and truth) with the one-step forecasts of every part and the
    train / validation / test boundaries."""
    time = _time_axis(model_input)
    fig, axes = _panels(model_input, f"lstm: {model_input['dataset']}, one-step forecasts")
    train, validation, _ = (int(n) for n in model_input["split"])
    for index, ax in enumerate(axes):
        ax.plot(time, model_input["series"][:, index], color="0.6", lw=0.8, label="series")
        for part, color in (("train", "tab:blue"), ("val", "tab:orange"), ("test", "tab:red")):
            rows = model_input[f"t_{part}"]
            ax.plot(time[rows], forecasts[f"pred_{part}"][:, 0, index], color=color, lw=0.8,
                    label=f"forecast ({'validation' if part == 'val' else part})")
        for boundary in (train, train + validation):
            ax.axvline(time[boundary], color="k", ls="--", lw=0.8)
        ax.legend(loc="upper left", fontsize=8)
    return fig


def plot_test_span(forecasts: dict[str, np.ndarray], model_input: dict[str, np.ndarray]) -> Figure:
    """The test span alone: truth, one-step forecast and the persistence forecast."""
    time = _time_axis(model_input)
    rows = model_input["t_test"]
    fig, axes = _panels(model_input, "lstm: test span, one step ahead")
    for index, ax in enumerate(axes):
        ax.plot(time[rows], model_input["y_test"][:, 0, index], color="k", lw=1, label="truth")
        ax.plot(time[rows], forecasts["pred_test"][:, 0, index], color="tab:red", lw=1, label="forecast")
        ax.plot(time[rows], forecasts["persistence_test"][:, 0, index], color="tab:green", lw=0.8,
                ls=":", label="persistence (last value)")
        ax.legend(loc="upper left", fontsize=8)
    return fig


def plot_extrapolation(forecasts: dict[str, np.ndarray], model_input: dict[str, np.ndarray]) -> Figure:
    """Recursive extrapolation from the start of the test span against what happened."""
    time = _time_axis(model_input)
    series = model_input["series"]
    start = int(forecasts["extrapolation_start"])
    steps = len(forecasts["extrapolation"])
    context = max(0, start - 2 * model_input["x_test"].shape[1] - steps)
    shown = min(start + steps, len(series))
    fig, axes = _panels(model_input, f"lstm: recursive extrapolation, {steps} steps fed back")
    for index, ax in enumerate(axes):
        ax.plot(time[context:start], series[context:start, index], color="k", lw=1, label="history")
        ax.plot(time[start:shown], series[start:shown, index], color="0.5", lw=1, label="truth")
        ax.plot(time[start:shown], forecasts["extrapolation"][:shown - start, index], color="tab:purple",
                lw=1.2, label="extrapolation")
        ax.axvline(time[start], color="k", ls="--", lw=0.8)
        ax.legend(loc="upper left", fontsize=8)
    return fig


def plot_learning_curves(history: dict[str, list[float]]) -> Figure:
    """Training against validation loss (MSE of the scaled series) and MAE by epoch."""
    return plotting.learning_curves(history, title="lstm: learning curves (scaled units)")

