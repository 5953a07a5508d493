"""Readers of the regression app's datasets, and the checks of a table before it is used."""

from __future__ import annotations

import logging

import fsspec
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.user_files import read_csv
from dl_pipelines.pipelines.regression.settings import (
    DataSettings,
)

logger = logging.getLogger(__name__)

SPLIT_COLUMN = "_split"  # "train" / "test" where the dataset has a published split
TOY_W, TOY_B = 2.0, -1.0  # the course's line y = 2x - 1
BOSTON_COLUMNS = ["CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX",
                  "PTRATIO", "B", "LSTAT"]


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


def load_table(name: str, raw_files: RawFiles) -> pd.DataFrame:
    """One of the app's own datasets (not ``csv``) as one table, with a ``_split`` column where it
    has a published split."""
    if name == "diabetes":
        return _diabetes()
    if name == "linear_toy":
        return _linear_toy()
    if name == "boston_housing":
        return _boston_housing(raw_files)
    if name == "fuel_consumption":
        name = "FuelConsumptionCo2.csv"
        return read_csv(fsspec.open(str(raw_files.fetch("fuel_consumption", [name])[name]), "rb"))
    raise ValueError(f"No reader for the regression dataset {name!r}.")


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
