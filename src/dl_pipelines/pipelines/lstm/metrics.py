"""Forecast metrics of the lstm app (the baselines they are scored against: ``baselines.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def error_metrics(truth: np.ndarray, predicted: np.ndarray, naive_mae: np.ndarray) -> dict[str, float]:
    """MSE and MAE averaged over the series, and MASE: each series' MAE over its in-sample
    one-step naive MAE, averaged. Arrays (samples, series), original units."""
    error = predicted - truth
    return {"mse": float(np.mean(error ** 2)), "mae": float(np.mean(np.abs(error))),
            "mase": float(np.mean(np.mean(np.abs(error), axis=0) / naive_mae))}


def naive_mae(train: np.ndarray) -> np.ndarray:
    """Each series' in-sample one-step naive MAE on the training rows: the scale of MASE (1 where
    the training part is constant)."""
    scale = np.mean(np.abs(np.diff(train, axis=0)), axis=0)
    return np.where(scale > 0, scale, 1.0)


def multi_step_mase(truth: np.ndarray, predicted: np.ndarray, scale: np.ndarray) -> float:
    """MASE over every step of (origins, horizon, series) forecasts, averaged over the series."""
    return float(np.mean(np.mean(np.abs(predicted - truth), axis=(0, 1)) / scale))


# MLflow key prefix -> baseline (``baselines.py``); persistence keeps its first prefix, baseline_.
BASELINES = {"baseline": "persistence", "seasonal_naive": "seasonal_naive", "ets": "ets"}
# What the log's test line names -> MLflow key prefix.
SCORED = {"network": "test", "persistence": "baseline_test", "seasonal naive": "seasonal_naive_test",
          "ETS": "ets_test"}


def forecast_scores(truth: np.ndarray, forecasts: dict[str, np.ndarray], baselines: dict[str, np.ndarray],
                    multi_step_truth: np.ndarray, scale: np.ndarray) -> dict[str, float]:
    """``test_mse``, ``test_mae``, ``test_mase`` of the network's one-step test forecasts and
    ``test_multi_step_mase`` of its multi-step ones; the same keys with the prefix
    ``baseline_`` (persistence), ``seasonal_naive_`` and ``ets_``; for a horizon above one,
    ``test_mse_all_steps`` (and persistence's); ``multi_step_horizon``.

    Args:
        truth: (test windows, horizon, series).
        forecasts: ``pred_test`` like ``truth``, ``multi_step`` (origins, steps, series).
        baselines: ``<name>_test`` (test windows, series), ``<name>_multi_step``,
            ``persistence_all_steps`` like ``truth``.
        multi_step_truth: Like ``forecasts["multi_step"]``.
        scale: The MASE scale of each series (:func:`naive_mae`).
    """
    one_step = {"test": forecasts["pred_test"][:, 0],
                **{f"{key}_test": baselines[f"{name}_test"] for key, name in BASELINES.items()}}
    metrics: dict[str, float] = {}
    for prefix, predicted in one_step.items():
        metrics.update({f"{prefix}_{name}": value
                        for name, value in error_metrics(truth[:, 0], predicted, scale).items()})
    if truth.shape[1] > 1:
        metrics["test_mse_all_steps"] = float(np.mean((forecasts["pred_test"] - truth) ** 2))
        persistence = baselines["persistence_all_steps"]
        metrics["baseline_test_mse_all_steps"] = float(np.mean((persistence - truth) ** 2))
    if len(multi_step_truth):
        metrics["test_multi_step_mase"] = multi_step_mase(multi_step_truth, forecasts["multi_step"], scale)
        for key, name in BASELINES.items():
            metrics[f"{key}_test_multi_step_mase"] = multi_step_mase(multi_step_truth,
                                                                     baselines[f"{name}_multi_step"], scale)
        metrics["multi_step_horizon"] = float(multi_step_truth.shape[1])
    return metrics


def test_span_table(model_input: dict[str, np.ndarray], forecasts: dict[str, np.ndarray],
                    baselines: dict[str, np.ndarray]) -> pd.DataFrame:
    """The test span: time, then per series the truth, the network's one-step forecast and the
    baselines'."""
    table = pd.DataFrame({"time": model_input["time"][model_input["t_test"]]})
    for index, name in enumerate(model_input["columns"]):
        table[f"{name}"] = model_input["y_test"][:, 0, index]
        table[f"{name}_forecast"] = forecasts["pred_test"][:, 0, index]
        for baseline in BASELINES.values():
            table[f"{name}_{baseline}"] = baselines[f"{baseline}_test"][:, index]
    return table
