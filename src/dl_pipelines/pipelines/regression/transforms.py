"""Transforms of the regression app: one-hot encoding and scaling fitted on the training rows."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler


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
