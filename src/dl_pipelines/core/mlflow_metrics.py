"""The form in which nodes hand metrics to kedro-mlflow's ``MlflowMetricsHistoryDataset``."""

from __future__ import annotations

from typing import Any


def mlflow_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """``{key: {"value": v, "step": 0}}`` for each number; a list (one value per step) stays as it is."""
    return {key: value if isinstance(value, list) else {"value": value, "step": 0}
            for key, value in metrics.items()}
