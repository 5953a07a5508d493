"""Tables of feature columns and a target, as the regression and classification apps read them:
the columns a user names (``<app>.data``), the checks of a table before it is used, the feature
transform fitted on the training rows, and the checks and scoring of the user's new rows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, ClassVar

import numpy as np
import pandas as pd
from fsspec.core import OpenFile
from pydantic import Field, model_validator
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import Settings
from dl_pipelines.core.stages import check_made_from
from dl_pipelines.core.user_files import file_name, inputs_folder, read_csv, require_user_file

logger = logging.getLogger(__name__)

SPLIT_COLUMN = "_split"  # "train" / "test" where the dataset has a published split

ColumnName = Annotated[str, Field(min_length=1)]


class TableColumns(Settings):
    """``<app>.data``: the target column, the feature columns (null: every other column) and the
    features to one-hot encode. A subclass names its app in ``APP`` and what its target holds in
    ``TARGET``, for the messages."""

    APP: ClassVar[str] = "app"
    TARGET: ClassVar[str] = "the column to predict"

    target: ColumnName | None = None
    features: Annotated[list[ColumnName], Field(min_length=1)] | None = None
    categorical: list[ColumnName] | None = None

    @model_validator(mode="after")
    def _target_named(self) -> TableColumns:
        # Checked once the preset has filled the nulls: the csv preset leaves the target to the user.
        if self.target is None:
            raise ValueError(f"Parameter {self.APP}.data.target is not set; expected the name of "
                             f"{self.TARGET} (--params {self.APP}.data.target=<column>)")
        return self

    @model_validator(mode="after")
    def _categorical_among_features(self) -> TableColumns:
        extra = [c for c in self.categorical or [] if self.features and c not in self.features]
        if extra:
            raise ValueError(f"Column {extra[0]!r} is in {self.APP}.data.categorical but not among the "
                             f"features; add it to {self.APP}.data.features")
        return self


def feature_columns(table: pd.DataFrame, data: TableColumns) -> list[str]:
    """The feature columns: ``data.features``, or every column but the target and the split."""
    if data.features:
        return list(data.features)
    return [c for c in table.columns if c not in (data.target, SPLIT_COLUMN)]


def check_table(table: pd.DataFrame, data: TableColumns, source: str, numeric_target: bool = True) -> None:
    """Stop with one line naming the column and the rows affected when the table cannot be used:
    a missing column, a missing value, text in a numeric column (the target's too, unless
    ``numeric_target`` is off: class labels may be text)."""
    rows, app = len(table), data.APP
    target, categorical = data.target, list(data.categorical or [])
    features = feature_columns(table, data)
    for column, role in [(target, f"{app}.data.target"),
                         *[(c, f"{app}.data.features") for c in features],
                         *[(c, f"{app}.data.categorical") for c in categorical]]:
        if column not in table.columns:
            raise ConfigurationError(
                f"Column {column!r} ({role}) is not in {source} (all {rows} rows lack it); "
                f"its columns are: {', '.join(map(str, table.columns))}.")
    extra = [c for c in categorical if c not in features]
    if extra:
        raise ConfigurationError(f"Column {extra[0]!r} is in {app}.data.categorical but not "
                                 f"among the features; add it to {app}.data.features.")
    if not features:
        raise ConfigurationError(f"{source} has no feature column besides the target {target!r}.")
    for column in [target, *features]:
        missing = table[column].isna()
        if missing.any():
            first = int(np.flatnonzero(missing.to_numpy())[0]) + 1
            raise ConfigurationError(
                f"Column {column!r} of {source} has no value in {int(missing.sum())} of {rows} rows "
                f"(first: data row {first}); fill or drop those rows.")
    numeric = [c for c in features if c not in categorical]
    for column in [target, *numeric] if numeric_target else numeric:
        text = pd.to_numeric(table[column], errors="coerce").isna()
        if text.any():
            example = table[column][text].iloc[0]
            fix = ("the target must be a number" if column == target else
                   f"list it in {app}.data.categorical to one-hot encode it, or leave it out of "
                   f"{app}.data.features")
            raise ConfigurationError(
                f"Column {column!r} of {source} is not numeric: {int(text.sum())} of {rows} rows "
                f"hold text such as {example!r}; {fix}.")
    if rows < 5:
        raise ConfigurationError(f"{source} has only {rows} rows; expected at least 5 to split.")


def read_table(dataset: str, user_csv: OpenFile | None, app: str, load: Callable[[], pd.DataFrame]
               ) -> tuple[pd.DataFrame, str]:
    """The user's CSV file (``<app>.dataset=csv``) or the app's own dataset ``load`` reads, and how
    messages name it."""
    if dataset == "csv":
        file = require_user_file(user_csv, app)
        return read_csv(file), file_name(file)
    return load(), f"the {dataset} data"


def typed_columns(table: pd.DataFrame, data: TableColumns, target_type: str) -> pd.DataFrame:
    """The columns of a checked table the app keeps: the features (categories as text, numbers as
    numbers), the target as ``target_type`` and the published split.

    Numbers keep their kind (whole numbers stay int64), so the served model's signature takes
    rows exactly as read from the data: MLflow will not cast int64 into a float64 column.
    """
    categorical = list(data.categorical or [])
    columns = {c: table[c].astype(str) if c in categorical else pd.to_numeric(table[c])
               for c in feature_columns(table, data)}
    columns[data.target] = table[data.target].astype(target_type)
    if SPLIT_COLUMN in table.columns:
        columns[SPLIT_COLUMN] = table[SPLIT_COLUMN].astype(str)
    return pd.DataFrame(columns)


def check_ingested(table: pd.DataFrame, app: str, dataset: str, columns: list[str]) -> None:
    """Stop when the ingested table is another dataset's, or lacks a column the settings name:
    the ingestion stage has to run again."""
    check_made_from(table.attrs.get("dataset"), f"{app}.raw_table", dataset, f"{app}_ingestion")
    if missing := [c for c in columns if c not in table.columns]:
        raise ConfigurationError(
            f"Column {missing[0]!r} is not in the ingested table: run the ingestion stage again "
            f"(kedro run --pipelines={app}_ingestion).")


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


def fit_transform(train_rows: pd.DataFrame, data: TableColumns, scale: bool) -> ColumnTransformer:
    """The transform of ``data``'s feature columns, fitted on the training rows only."""
    features, categorical = feature_columns(train_rows, data), list(data.categorical or [])
    numeric = [c for c in features if c not in categorical]
    return make_transform(numeric, categorical, scale).fit(train_rows[features])


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


def score_files(files: list[OpenFile], transform: ColumnTransformer, app: str,
                score: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """Every row of the user's CSV files (``<app>.new_inputs``), checked, with the columns
    ``score`` gives for its feature columns (others are kept and ignored).

    Returns:
        The rows of every file, in name order, with ``file`` first and the scores last.
    """
    if not files:
        raise ConfigurationError(f"No CSV files in {inputs_folder(app)}; "
                                 "put CSV files with the training data's feature columns there.")
    features, categorical = list(transform.feature_names_in_), column_kinds(transform)[1]
    tables = []
    for file in files:
        table = read_csv(file)
        check_rows(table, transform, file_name(file))
        # Categories as text, as the ingestion gave them to the training (a "4" is not a 4).
        scores = score(table[features].astype({c: str for c in categorical}))
        tables.append(pd.concat([table.assign(file=file.path.rsplit("/", 1)[-1]),
                                 scores.set_axis(table.index)], axis=1))
    result = pd.concat(tables, ignore_index=True)
    logger.info("Scored %d rows of %d file(s)", len(result), len(tables))
    scored = list(scores.columns)
    return result[["file", *[c for c in result.columns if c != "file" and c not in scored], *scored]]
