"""Pieces of a Keras training run that every app shares."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import keras
import mlflow

from dl_pipelines.core.config import require_choice

OPTIMIZERS = {
    "sgd": lambda lr: keras.optimizers.SGD(learning_rate=lr),
    "momentum": lambda lr: keras.optimizers.SGD(learning_rate=lr, momentum=0.9),
    "adagrad": lambda lr: keras.optimizers.Adagrad(learning_rate=lr),
    "rmsprop": lambda lr: keras.optimizers.RMSprop(learning_rate=lr),
    "adam": lambda lr: keras.optimizers.Adam(learning_rate=lr),
}


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    """A Keras optimiser by name: sgd, momentum (SGD with momentum 0.9), adagrad, rmsprop, adam."""
    require_choice("optimizer", name, OPTIMIZERS)
    return OPTIMIZERS[name](learning_rate)


def history_as_dict(history: keras.callbacks.History) -> dict[str, list[float]]:
    """The per-epoch values of a ``fit()`` as plain floats, ready for JSON."""
    return {name: [float(value) for value in values] for name, values in history.history.items()}


@contextlib.contextmanager
def nested_run(name: str, params: Mapping[str, Any] | None = None) -> Iterator[None]:
    """An MLflow run nested in the active one (kedro-mlflow's), or nothing when none is active."""
    if mlflow.active_run() is None:
        yield
        return
    with mlflow.start_run(run_name=name, nested=True):
        if params:
            mlflow.log_params(params)
        yield
