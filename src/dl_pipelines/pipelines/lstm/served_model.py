"""The served forecaster, as MLflow "models from code": MLflow logs this file with the model and
runs it on its own when the model is loaded, so serving needs Keras but not the dl_pipelines
package. It imports nothing from the project, on purpose.

It also holds the two layers of the served Keras model that Keras lacks, the Box-Cox transform
and the inverse of differencing: loading the model file needs them registered, in a process with
or without the project, so they are defined here once and ``models.py`` imports them.
"""

from typing import Any

import keras
import mlflow
import numpy as np
from keras import layers, ops


@keras.saving.register_keras_serializable(package="dl_pipelines.lstm")
class BoxCox(layers.Layer):
    """The Box-Cox transform with fixed per-series lambdas ((x^l - 1) / l, log x for l = 0), or
    its inverse with ``invert``."""

    def __init__(self, lambdas: list[float], invert: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.lambdas, self.invert = [float(value) for value in lambdas], bool(invert)

    def call(self, x: Any) -> Any:
        lambdas = ops.convert_to_tensor(self.lambdas, dtype=x.dtype)
        is_log = ops.equal(lambdas, 0)
        safe = ops.where(is_log, ops.ones_like(lambdas), lambdas)
        if self.invert:
            # Clipped where a forecast leaves the transform's range (l z + 1 <= 0 has no inverse).
            base = ops.maximum(safe * x + 1, 1e-6)
            return ops.where(is_log, ops.exp(x), ops.power(base, 1 / safe))
        return ops.where(is_log, ops.log(x), (ops.power(x, safe) - 1) / safe)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "lambdas": self.lambdas, "invert": self.invert}


@keras.saving.register_keras_serializable(package="dl_pipelines.lstm")
class Undifference(layers.Layer):
    """A forecast of the differenced series back to the levels, given the window of levels it
    follows: the inverse of differencing at ``lags`` in turn (z = d + the value one lag back,
    which from the lag-th step on is itself a forecast)."""

    def __init__(self, lags: list[int], **kwargs: Any):
        super().__init__(**kwargs)
        self.lags = [int(lag) for lag in lags]

    def call(self, inputs: list[Any]) -> Any:
        window, change = inputs  # (batch, steps, series) levels, (batch, horizon, series)
        stages = [window]
        for lag in self.lags[:-1]:
            stages.append(stages[-1][:, lag:] - stages[-1][:, :-lag])
        for lag, known in zip(reversed(self.lags), reversed(stages), strict=True):
            levels = known
            for step in range(change.shape[1]):
                levels = ops.concatenate([levels, change[:, step:step + 1] + levels[:, -lag:][:, :1]], axis=1)
            change = levels[:, known.shape[1]:]
        return change

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "lags": self.lags}


class RawWindowForecaster(mlflow.pyfunc.PythonModel):
    """Raw windows (samples, steps, series) in, forecasts (samples, horizon, series) in the same
    units out: the Keras forecaster with its transforms, loaded from the model's artifacts."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        self.network = keras.saving.load_model(context.artifacts["network"])

    def predict(self, context: mlflow.pyfunc.PythonModelContext, model_input: np.ndarray,
                params: dict | None = None) -> np.ndarray:
        return self.network.predict(np.asarray(model_input, dtype="float32"), batch_size=512, verbose=0)


# What MLflow serves when it runs this file; a harmless global where the project imports the layers.
mlflow.models.set_model(RawWindowForecaster())
