"""Transforms of the classification app: class labels to indices, the stratified hold-out split
and the folds of the cross-validation, rows to arrays through the fitted feature transform."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import StratifiedKFold, train_test_split

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import SplitSettings
from dl_pipelines.core.tables import SPLIT_COLUMN, feature_columns, fit_transform
from dl_pipelines.pipelines.classification.settings import DataSettings


def class_names(labels: pd.Series) -> list[str]:
    """The classes in output order: the labels sorted."""
    return sorted(labels.astype(str).unique())


def stratified_part(rows: pd.DataFrame, target: str, fraction: float, seed: int, what: str
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rows`` without and with a share ``fraction`` of them, classes in proportion (seeded)."""
    try:
        return train_test_split(rows, test_size=fraction, random_state=seed, stratify=rows[target])
    except ValueError as error:  # too few rows of a class for the fraction
        raise ConfigurationError(
            f"Cannot split {len(rows)} rows of {rows[target].nunique()} classes with "
            f"classification.split.{what}={fraction} ({error}); change the fraction or add rows.") from None


def hold_out(table: pd.DataFrame, target: str, split: SplitSettings, seed: int
             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train, validation and test rows, each with the classes in the table's proportions (seeded).

    The published test rows are kept where there are some (xor: the four points); otherwise
    ``split.test_fraction`` of the rows. Validation: ``split.validation_fraction`` of the rest.
    """
    if SPLIT_COLUMN in table.columns:
        train, test = table[table[SPLIT_COLUMN] == "train"], table[table[SPLIT_COLUMN] == "test"]
    else:
        train, test = stratified_part(table, target, split.test_fraction, seed, "test_fraction")
    train, validation = stratified_part(train, target, split.validation_fraction, seed, "validation_fraction")
    return train, validation, test


def folds(table: pd.DataFrame, target: str, k: int, seed: int) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """The ``k`` stratified folds of the table (shuffled, seeded): (training rows, held-out rows)."""
    smallest = table[target].value_counts()
    if smallest.min() < k:
        raise ConfigurationError(
            f"Parameter classification.cross_validation.folds={k} is more than the {smallest.min()} rows "
            f"of class {smallest.idxmin()!r}; set it to {max(smallest.min(), 2)} or less.")
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for train, held_out in splitter.split(table, table[target]):
        yield table.iloc[train], table.iloc[held_out]


def to_arrays(parts: dict[str, pd.DataFrame], data: DataSettings, scale: bool, classes: list[str]
              ) -> tuple[dict[str, np.ndarray], ColumnTransformer]:
    """``x_<part>`` (float32, through the transform fitted on ``parts["train"]`` only) and
    ``y_<part>`` (class indices) of every part, and the fitted transform."""
    transform = fit_transform(parts["train"], data, scale)
    features = feature_columns(parts["train"], data)
    arrays = {"feature_names": np.array(transform.get_feature_names_out(), dtype=str),
              "class_names": np.array(classes, dtype=str)}
    for name, rows in parts.items():
        arrays[f"x_{name}"] = np.asarray(transform.transform(rows[features]), dtype="float32")
        labels = rows[data.target].astype(str).to_numpy()
        arrays[f"y_{name}"] = np.searchsorted(classes, labels).astype("int64")
    return arrays, transform
