"""Nodes of the lstm app, stage by stage. Pure functions: arrays, models and typed settings in,
arrays, models and dicts out; the catalog does the I/O and kedro-mlflow owns the MLflow run.

A series travels as a dict of arrays: ``time`` (ISO dates or row numbers, as text), ``values``
(rows x series, float64, NaN where a value is missing), ``columns`` (the series' names),
``time_kind`` (``date`` or ``index``) and ``dataset``.
"""

from __future__ import annotations

import logging
from typing import Any

import fsspec
import keras
import numpy as np
import pandas as pd
from fsspec.core import OpenFile

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.mlflow_metrics import mlflow_metrics
from dl_pipelines.core.settings import StandardTraining
from dl_pipelines.core.stages import check_made_from
from dl_pipelines.core.training import compile_with, train_model
from dl_pipelines.core.user_files import file_name, require_user_file
from dl_pipelines.pipelines.lstm.baselines import multi_step_horizon, origins_in_test_span
from dl_pipelines.pipelines.lstm.metrics import SCORED, forecast_scores, naive_mae, test_span_table
from dl_pipelines.pipelines.lstm.models import build_forecaster, extrapolate, served_forecaster, untrained
from dl_pipelines.pipelines.lstm.settings import (
    GENERATED,
    ChronologicalSplit,
    CsvSettings,
    ForecasterSettings,
    ForecastSettings,
    GeneratedSettings,
    PreprocessingSettings,
    split_sizes,
)
from dl_pipelines.pipelines.lstm.sources import logistic_map, noisy_sine, read_text_table, to_series
from dl_pipelines.pipelines.lstm.transforms import (
    check_length,
    chosen_lags,
    describe_forecaster,
    difference,
    fill_gaps,
    fit_power,
    fit_scaler,
    network_arrays,
    power,
    season_of,
    sliding_windows,
    start_coefficients,
)

logger = logging.getLogger(__name__)

USD_EUR_FILE = "DEXUSEU.csv"


# --- ingestion ---------------------------------------------------------------------------------


def ingest_series(raw_files: RawFiles, user_csv: OpenFile | None, dataset: str,
                  generated: GeneratedSettings, csv: CsvSettings, split: ChronologicalSplit,
                  preprocessing: PreprocessingSettings) -> dict[str, np.ndarray]:
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
            path = str(raw_files.fetch("usd_eur", [USD_EUR_FILE])[USD_EUR_FILE])
            frame = read_text_table(fsspec.open(path, "rb"))
            # FRED names the date column DATE in older files and observation_date in newer ones.
            series = to_series(frame, path, frame.columns[0], ["DEXUSEU"], where="usd_eur")
        else:
            file = require_user_file(user_csv, "lstm")
            path = file_name(file)
            series = to_series(read_text_table(file), path, csv.time_column, csv.value_columns,
                               csv.date_format)
        values, kept = fill_gaps(series["values"], preprocessing.gaps)
        season = preprocessing.season or season_of(series["time"][kept], str(series["time_kind"]))
        check_length(len(values), split, preprocessing, path, season)
    missing = int(np.isnan(series["values"]).any(axis=1).sum())
    logger.info("%s: %d rows x %d series (%d with missing values), %s .. %s", dataset,
                len(series["values"]), series["values"].shape[1], missing, series["time"][0],
                series["time"][-1])
    return {**series, "dataset": np.array(dataset)}


# --- preprocessing -----------------------------------------------------------------------------


def make_windows(series: dict[str, np.ndarray], dataset: str, split: ChronologicalSplit,
                 preprocessing: PreprocessingSettings) -> dict[str, np.ndarray]:
    """Treat the gaps, find the season, split chronologically, fit the power transform,
    differencing and scaling on the training part, and cut windows.

    Returns:
        ``x_<part>``, ``y_<part>``, ``t_<part>`` for train, val and test (raw units, each window
        ``time_steps`` plus the values differencing takes: the model transforms them itself), the
        treated ``series``, its ``time``, the ``split`` sizes, the ``season``, the Box-Cox
        ``power_lambdas`` (empty: none), the differencing ``lags``, the scaler's ``scale_offset``
        and ``scale_scale``, and the naming arrays of the series dict.
    """
    ingested = str(series["dataset"])
    check_made_from(ingested, "lstm.raw_series", dataset, "lstm_ingestion")
    values, kept = fill_gaps(series["values"], preprocessing.gaps)
    if (~kept).any():
        logger.info("Gaps (%s): %d of %d rows dropped", preprocessing.gaps, int((~kept).sum()), len(kept))
    time = series["time"][kept]
    season = preprocessing.season or season_of(time, str(series["time_kind"]))
    source = f"The series {ingested!r}"
    check_length(len(values), split, preprocessing, source, season)
    train, validation, test = split_sizes(len(values), split)
    levels = power(values[:train], lambdas := fit_power(values[:train], preprocessing.transform, source))
    lags, strength = chosen_lags(levels, preprocessing.differencing, season)
    offset, scale = fit_scaler(difference(levels, lags), preprocessing.scaling, about_zero=bool(lags))
    window = preprocessing.time_steps + sum(lags)
    bounds = {"train": (0, train), "val": (train, train + validation),
              "test": (train + validation, len(values))}
    output = {"series": values, "time": time, "columns": series["columns"],
              "time_kind": series["time_kind"], "dataset": series["dataset"],
              "split": np.array([train, validation, test]), "season": np.array(season),
              "power_lambdas": np.array([] if lambdas is None else lambdas, dtype=float),
              "lags": np.array(lags, dtype=int), "scale_offset": offset, "scale_scale": scale}
    for part, (start, stop) in bounds.items():
        x, y, t = sliding_windows(values, start, stop, window, preprocessing.horizon)
        output.update({f"x_{part}": x, f"y_{part}": y, f"t_{part}": t})
    logger.info("Chronological split: %d train, %d validation, %d test rows -> %d / %d / %d windows "
                "of %d steps", train, validation, test, len(output["x_train"]), len(output["x_val"]),
                len(output["x_test"]), window)
    logger.info("Season %d%s; transform %s%s; differencing at lags %s%s", season,
                " (given)" if preprocessing.season else " (from the dates)" if season > 1 else "",
                preprocessing.transform,
                "" if lambdas is None else f" (lambda {', '.join(map('{:.3g}'.format, lambdas))})",
                lags or "none", "" if strength is None else f" (auto: seasonal strength {strength:.2f})")
    return output


# --- training ----------------------------------------------------------------------------------


def train_forecaster(model_input: dict[str, np.ndarray], model: ForecasterSettings,
                     training: StandardTraining, seed: int) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train the forecaster ``lstm.model.architecture`` names on transformed, scaled windows.

    Returns:
        The trained model wrapped with its scaling (raw window in, forecast in the original
        units out; the best validation loss when early stopping is on) and its per-epoch history;
        with fewer than ``min_train_windows`` training windows, untrained: its no-change start.
    """
    offset, scale = model_input["scale_offset"], model_input["scale_scale"]
    lambdas = model_input["power_lambdas"] if len(model_input["power_lambdas"]) else None
    lags = [int(lag) for lag in model_input["lags"]]

    def scaled(part: str) -> tuple[np.ndarray, np.ndarray]:
        x, y = model_input[f"x_{part}"], model_input[f"y_{part}"]
        return network_arrays(x, y, lambdas, lags, offset, scale)

    _, window, features = model_input["x_train"].shape
    time_steps, horizon = window - sum(lags), model_input["y_train"].shape[1]
    train = scaled("train")  # its targets, window after window, are the (differenced) series
    trained = len(train[0]) >= model.min_train_windows  # too few to learn from: keep the naive start
    start = start_coefficients(model.residual, *train, differenced=bool(lags), trained=trained)

    # Differenced, no change is seasonal naive (or persistence): start there, not at random.
    def build() -> keras.Model:
        forecaster = build_forecaster(time_steps, features, horizon, model, start,
                                      no_change_start=bool(lags) or not trained)
        return compile_with(forecaster, training, len(train[0]), loss="mse", metrics=["mae"])

    if not trained:
        forecaster, history = untrained(build(), train, scaled("val"), model.min_train_windows, lags, start)
    else:
        logger.info("Training %s on %s for up to %d epochs", describe_forecaster(model, start),
                    model_input["dataset"], training.epochs)
        forecaster, history = train_model(build, train, scaled("val"), app="lstm", seed=seed,
                                          training=training)
    return served_forecaster(forecaster, offset, scale, lambdas, lags), history


# --- evaluation --------------------------------------------------------------------------------


def describe_series(model_input: dict[str, np.ndarray]) -> dict[str, Any]:
    """What inference needs to read new history as the training series was read, kept with the
    model: the series' column names and whether its time is dates."""
    return {"columns": list(model_input["columns"].astype(str)), "time_kind": str(model_input["time_kind"])}


def forecast(model: keras.Model, model_input: dict[str, np.ndarray],
             settings: ForecastSettings) -> dict[str, np.ndarray]:
    """One-step (and ``horizon``-step) forecasts of every window, recursive multi-step forecasts
    from the test origins, and the recursive extrapolation from the start of the test span.

    Returns:
        ``pred_<part>`` (samples, horizon, series) in original units, ``multi_step`` (origins,
        steps, series), ``extrapolation`` (steps, series) and ``extrapolation_start`` (its first row).
    """
    output = {f"pred_{part}": np.asarray(model.predict(model_input[f"x_{part}"].astype("float32"),
                                                       batch_size=512, verbose=0), dtype=float)
              for part in ("train", "val", "test")}
    series, window = model_input["series"], model_input["x_test"].shape[1]
    horizon = multi_step_horizon(model_input, settings)
    windows = [series[origin - window:origin] for origin in origins_in_test_span(model_input, horizon)]
    output["multi_step"] = extrapolate(model, np.stack(windows), horizon) if windows else np.empty((0, 0, 1))
    start = int(model_input["split"][0] + model_input["split"][1])
    output["extrapolation"] = extrapolate(model, series[start - window:start], settings.extrapolation_steps)
    output["extrapolation_start"] = np.array(start)
    return output


def evaluate_forecasts(forecasts: dict[str, np.ndarray], baselines: dict[str, np.ndarray],
                       model_input: dict[str, np.ndarray]) -> tuple[dict[str, Any], pd.DataFrame]:
    """Score the network's test forecasts and the baselines', in the series' original units.

    Returns:
        MLflow metrics (:func:`~dl_pipelines.pipelines.lstm.metrics.forecast_scores`), and the
        test span as a table (time, truth, forecast, the baselines' forecasts).
    """
    series, horizon = model_input["series"], forecasts["multi_step"].shape[1]
    origins = origins_in_test_span(model_input, horizon) if len(forecasts["multi_step"]) else np.empty(0, int)
    metrics = forecast_scores(model_input["y_test"], forecasts, baselines,
                              series[origins[:, None] + np.arange(horizon)[None, :]],
                              naive_mae(series[:int(model_input["split"][0])]))
    start = int(forecasts["extrapolation_start"])
    actual = series[start:start + len(forecasts["extrapolation"])]
    error = forecasts["extrapolation"][:len(actual)] - actual
    metrics.update(season=float(model_input["season"]), train_windows=float(len(model_input["x_train"])),
                   test_extrapolation_mse=float(np.mean(error ** 2)),
                   test_extrapolation_mae=float(np.mean(np.abs(error))))
    logger.info("Test MASE (one step%s): %s", f" | {horizon} steps" if horizon else "", ", ".join(
        f"{name} {metrics[f'{key}_mase']:.4f}"
        + (f" | {metrics[f'{key}_multi_step_mase']:.4f}" if horizon else "") for name, key in SCORED.items()))
    return mlflow_metrics(metrics), test_span_table(model_input, forecasts, baselines)
