"""Scores of the regression app and its reference model: least squares on the same split."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score


def scores(y_true: np.ndarray, y_pred: np.ndarray, prefix: str) -> dict[str, float]:
    return {f"{prefix}_mse": float(mean_squared_error(y_true, y_pred)),
            f"{prefix}_mae": float(mean_absolute_error(y_true, y_pred)),
            f"{prefix}_r2": float(r2_score(y_true, y_pred))}


def baseline_model(model_input: dict[str, np.ndarray]) -> LinearRegression:
    """Ordinary least squares (scikit-learn ``LinearRegression``) on the same training rows."""
    return LinearRegression().fit(model_input["x_train"], model_input["y_train"])
