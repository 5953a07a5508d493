"""Readers and generators of the lstm app's series: the logistic map, the noisy sine, CSV files."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fsspec.core import OpenFile

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.user_files import file_name

# Cells that mean "no value on this day" in a CSV (FRED writes "." for US bank holidays).
MISSING_MARKERS = frozenset({"", ".", "NA", "N/A", "NaN", "nan", "null", "NULL"})

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


def read_text_table(file: OpenFile) -> pd.DataFrame:
    """A CSV file with every cell as text, to be checked cell by cell.

    Raises:
        ConfigurationError: The file cannot be read as CSV.
    """
    try:
        with file as stream:
            frame = pd.read_csv(stream, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigurationError(f"{file_name(file)} is not a readable CSV file ({reason}).") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame


def to_series(frame: pd.DataFrame, path: str, time_column: str | None = None,
              value_columns: list[str] | None = None, date_format: str | None = None,
              where: str = "lstm.csv") -> dict[str, np.ndarray]:
    """The series of a CSV table of text cells, checked cell by cell.

    Args:
        frame: The file's cells as text (:func:`read_text_table`).
        path: The file's name in error messages.
        time_column: The date column (sorted chronologically), or None to take the row order.
        value_columns: The series to forecast; None means every column but the time column.
        date_format: A ``strftime`` format for the dates; None lets pandas infer it.
        where: The parameter section named in error messages.

    Returns:
        The series dict (see the module docstring); missing cells (empty, ``.``, NA) are NaN.

    Raises:
        ConfigurationError: One line naming the file, column, row and value that cannot be used.
    """
    known = ", ".join(frame.columns)
    if time_column is not None and time_column not in frame.columns:
        raise ConfigurationError(f"{path} has no column {time_column!r} ({where}.time_column); "
                                 f"its columns are: {known}. Name its date column with --params "
                                 f"{where}.time_column=<column> (null: rows already in time order).")
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
