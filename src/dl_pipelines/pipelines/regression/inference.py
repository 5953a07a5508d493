"""The regression app's inference: the last trained model predicts the target of new rows."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pandas as pd
from fsspec.core import OpenFile
from sklearn.compose import ColumnTransformer

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.user_files import file_name, read_csv
from dl_pipelines.pipelines.regression.serving import predict_rows

logger = logging.getLogger(__name__)


def column_kinds(transform: ColumnTransformer) -> tuple[list[str], list[str]]:
    """The numeric and the categorical feature columns the fitted ``transform`` takes."""
    columns = {name: list(names) for name, _, names in transform.transformers_ if name != "remainder"}
    return columns.get("numeric", []), columns.get("categorical", [])


def check_rows(table: pd.DataFrame, transform: ColumnTransformer, source: str) -> None:
    """Stop with one line naming the file, the column and the row when ``table`` lacks a feature
    column of the training data, or holds no value or text where the model needs a number."""
    numeric, features = column_kinds(transform)[0], list(transform.feature_names_in_)
    for column in features:
        if column not in table.columns:
            raise ConfigurationError(f"{source} has no column {column!r}; the model needs the columns of "
                                     f"its training data: {', '.join(features)}.")
        missing = table[column].isna().to_numpy()
        if missing.any():
            raise ConfigurationError(f"Column {column!r} of {source} has no value in data row "
                                     f"{int(np.flatnonzero(missing)[0]) + 1}; fill or drop that row.")
    for column in numeric:
        text = pd.to_numeric(table[column], errors="coerce").isna().to_numpy()
        if text.any():
            row = int(np.flatnonzero(text)[0])
            raise ConfigurationError(f"Column {column!r} of {source} is not numeric: data row {row + 1} "
                                     f"holds {table[column].iloc[row]!r}.")


def predict_new_rows(new_inputs: list[OpenFile], model: keras.Model, transform: ColumnTransformer
                     ) -> pd.DataFrame:
    """Predict the target of every row of the user's CSV files (``regression.new_inputs``), rows
    with the training data's feature columns (others are kept and ignored).

    Returns:
        The rows of every file, in name order, with ``file`` first and ``prediction`` last.
    """
    if not new_inputs:
        raise ConfigurationError("No CSV files in regression.new_inputs (data/01_raw/inference/regression/); "
                                 "put CSV files with the training data's feature columns there.")
    features, categorical = list(transform.feature_names_in_), column_kinds(transform)[1]
    tables = []
    for file in new_inputs:
        table = read_csv(file)
        check_rows(table, transform, file_name(file))
        # Categories as text, as the ingestion gave them to the training (a "4" is not a 4).
        predictions = predict_rows(model, transform, table[features].astype({c: str for c in categorical}))
        tables.append(table.assign(prediction=predictions).assign(file=file.path.rsplit("/", 1)[-1]))
    result = pd.concat(tables, ignore_index=True)
    logger.info("Predicted %d rows of %d file(s)", len(result), len(tables))
    return result[["file", *[c for c in result.columns if c not in ("file", "prediction")], "prediction"]]
