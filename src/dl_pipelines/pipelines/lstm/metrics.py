"""Forecast metrics of the lstm app and the persistence baseline they are scored against."""

from __future__ import annotations

import numpy as np


def persistence(x: np.ndarray, horizon: int) -> np.ndarray:
    """The naive forecast: every future value equals the last value of the window."""
    return np.repeat(x[:, -1:, :], horizon, axis=1)


def error_metrics(truth: np.ndarray, predicted: np.ndarray, naive_mae: np.ndarray) -> dict[str, float]:
    """MSE and MAE averaged over the series, and MASE: each series' MAE over its in-sample
    one-step naive MAE, averaged. Arrays (samples, series), original units."""
    error = predicted - truth
    return {"mse": float(np.mean(error ** 2)), "mae": float(np.mean(np.abs(error))),
            "mase": float(np.mean(np.mean(np.abs(error), axis=0) / naive_mae))}
