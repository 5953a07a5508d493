"""Readers of the classification app's datasets, and the check of its class labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.tables import SPLIT_COLUMN

XOR_POINTS = pd.DataFrame({"x1": [0.0, 0.0, 1.0, 1.0], "x2": [0.0, 1.0, 0.0, 1.0],
                           "xor": ["0", "1", "1", "0"]})
XOR_COPIES, XOR_JITTER = 64, 0.1  # training rows: each point 64 times, moved by N(0, 0.1)
IONOSPHERE_FILE = "ionosphere.data"
IRIS_COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def _xor() -> pd.DataFrame:
    """The four points of XOR to test on; to learn from, the same points repeated with a little
    noise (as the course does: four rows are too few for a validation set and for the folds)."""
    rng = np.random.default_rng(0)  # fixed: the dataset is the same whatever the run's seed
    train = XOR_POINTS.loc[np.tile(np.arange(4), XOR_COPIES)].reset_index(drop=True)
    train[["x1", "x2"]] += rng.normal(0, XOR_JITTER, (len(train), 2))
    return pd.concat([train.assign(**{SPLIT_COLUMN: "train"}), XOR_POINTS.assign(**{SPLIT_COLUMN: "test"})],
                     ignore_index=True)


def _iris() -> pd.DataFrame:
    """scikit-learn's copy of Fisher's iris data: 150 flowers, 4 measurements (cm), 3 species."""
    iris = load_iris()
    frame = pd.DataFrame(iris.data, columns=IRIS_COLUMNS)
    frame["species"] = np.asarray(iris.target_names)[iris.target]
    return frame


def _ionosphere(raw_files: RawFiles) -> pd.DataFrame:
    """UCI's ``ionosphere.data``: 351 radar returns, 34 numbers (17 pulses, two values each) and
    the class ``g`` (good: a structure in the ionosphere) or ``b`` (bad); no header."""
    path = raw_files.fetch("ionosphere", [IONOSPHERE_FILE])[IONOSPHERE_FILE]
    return pd.read_csv(path, header=None, names=[*[f"a{i:02d}" for i in range(1, 35)], "class"])


def load_table(name: str, raw_files: RawFiles) -> pd.DataFrame:
    """One of the app's own datasets (not ``csv``) as one table, with a ``_split`` column where it
    has a published split (xor)."""
    if name == "xor":
        return _xor()
    if name == "iris":
        return _iris()
    if name == "ionosphere":
        return _ionosphere(raw_files)
    raise ValueError(f"No reader for the classification dataset {name!r}.")


def check_classes(labels: pd.Series, source: str) -> None:
    """Stop with one line when the target cannot be learned by a classifier: one class only, or
    a class of one row (a stratified split needs two of each)."""
    counts = labels.value_counts()
    if len(counts) < 2:
        raise ConfigurationError(
            f"Column {labels.name!r} (classification.data.target) of {source} holds one class only "
            f"({counts.index[0]!r} in all {len(labels)} rows); a classifier needs two classes or more: "
            "choose another target column.")
    if counts.min() < 2:
        raise ConfigurationError(
            f"Class {counts.idxmin()!r} of column {labels.name!r} of {source} has only one row; the "
            "stratified splits need at least two rows of every class: drop that row or add more.")
