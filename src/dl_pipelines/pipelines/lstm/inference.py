"""The lstm app's inference: the last trained model forecasts what follows the user's latest
history."""

from __future__ import annotations

import logging
from typing import Any

import keras
import numpy as np
import pandas as pd
from fsspec.core import OpenFile

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.user_files import file_name, inputs_folder
from dl_pipelines.pipelines.lstm.models import extrapolate
from dl_pipelines.pipelines.lstm.settings import CsvSettings, ForecastSettings, PreprocessingSettings
from dl_pipelines.pipelines.lstm.sources import read_text_table, to_series
from dl_pipelines.pipelines.lstm.transforms import fill_gaps

logger = logging.getLogger(__name__)


def future_times(times: np.ndarray, steps: int) -> list[str]:
    """The ``steps`` dates after the last of ``times`` (ISO dates), at the series' frequency: the
    one pandas infers from the last dates, else their median spacing."""
    dates = pd.DatetimeIndex(times[-10:])
    frequency = pd.infer_freq(dates) if len(dates) >= 3 else None
    if frequency is None:
        spacing = pd.Series(dates).diff().median() if len(dates) > 1 else pd.Timedelta(days=1)
        return [(dates[-1] + spacing * step).strftime("%Y-%m-%d") for step in range(1, steps + 1)]
    return pd.date_range(dates[-1], periods=steps + 1, freq=frequency)[1:].strftime("%Y-%m-%d").tolist()


def forecast_history(history: dict[str, np.ndarray], model: keras.Model, settings: ForecastSettings
                     ) -> pd.DataFrame:
    """The forecast that follows one history: ``lstm.forecast.extrapolation_steps`` values of each
    series, recursively (the model's own forecasts fed back), and for a model that forecasts
    ``horizon`` values at once, those too (``<series>_direct``)."""
    _, time_steps, _ = model.input_shape
    window = history["values"][-time_steps:].astype("float32")
    steps = settings.extrapolation_steps
    table = pd.DataFrame({"step": np.arange(1, steps + 1)})
    if str(history["time_kind"]) == "date":
        table["time"] = future_times(history["time"], steps)
    columns = [str(column) for column in history["columns"]]
    table[columns] = extrapolate(model, window, steps)
    direct = np.asarray(model.predict_on_batch(window[None]))[0]  # (horizon, series)
    if len(direct) > 1:
        for index, column in enumerate(columns):
            table[f"{column}_direct"] = np.pad(direct[:steps, index], (0, max(0, steps - len(direct))),
                                               constant_values=np.nan)
    return table


def forecast_new_history(new_inputs: list[OpenFile], model: keras.Model, series: dict[str, Any],
                         csv: CsvSettings, preprocessing: PreprocessingSettings,
                         forecast: ForecastSettings) -> pd.DataFrame:
    """Forecast what follows each of the user's CSV files of latest history (``lstm.new_inputs``):
    the series the model was trained on (same column names), with a date column first when the
    training series had dates (read as ``lstm.csv.date_format`` says), gaps treated as
    ``lstm.preprocessing.gaps`` says.

    Returns:
        One row per future step and file: ``file``, ``step``, ``time`` (dated series), then the
        forecast of each series.
    """
    if not new_inputs:
        raise ConfigurationError(f"No CSV files in {inputs_folder('lstm')}; put a CSV "
                                 "of the latest history of the series the model was trained on there.")
    columns, dated = series["columns"], series["time_kind"] == "date"
    _, time_steps, _ = model.input_shape
    tables = []
    for file in new_inputs:
        frame, name = read_text_table(file), file_name(file)
        if missing := [column for column in columns if column not in frame.columns]:
            raise ConfigurationError(f"{name} has no column {missing[0]!r}; the model forecasts the series "
                                     f"it was trained on: {', '.join(columns)}.")
        time_column = next((c for c in frame.columns if c not in columns), None) if dated else None
        if dated and time_column is None:
            raise ConfigurationError(f"{name} has no date column; the model was trained on a dated "
                                     f"series ({', '.join(columns)}): put the dates in the first column.")
        history = to_series(frame, name, time_column, columns, csv.date_format)
        values, kept = fill_gaps(history["values"], preprocessing.gaps)
        if len(values) < time_steps:
            raise ConfigurationError(f"{name} has {len(values)} usable rows; the model forecasts from the "
                                     f"last {time_steps} (lstm.preprocessing.time_steps, plus the "
                                     "differencing lags if any).")
        history = {**history, "values": values, "time": history["time"][kept]}
        tables.append(forecast_history(history, model, forecast).assign(file=name.rsplit("/", 1)[-1]))
    result = pd.concat(tables, ignore_index=True)
    logger.info("Forecast %d steps of %s for %d file(s)", forecast.extrapolation_steps,
                ", ".join(columns), len(tables))
    return result[["file", *[c for c in result.columns if c != "file"]]]
