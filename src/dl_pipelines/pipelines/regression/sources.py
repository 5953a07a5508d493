"""Readers of the regression app's datasets (the checks of a table are in ``core/tables.py``)."""

from __future__ import annotations

import logging

import fsspec
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.tables import SPLIT_COLUMN
from dl_pipelines.core.user_files import read_csv

logger = logging.getLogger(__name__)

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
