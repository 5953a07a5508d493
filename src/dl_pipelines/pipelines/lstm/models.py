"""The forecasters of the course, in Keras: SimpleRNN, GRU and LSTM (optionally stacked), and a
dense network on the same window as a baseline.

Each forecaster reads a window of ``time_steps`` past values of ``features`` series and predicts
the next ``horizon`` values of every series, all in the scaled units the training set defines.
:func:`served_forecaster` wraps a trained forecaster so that it takes and returns values in the
original units: the served model carries its own power transform, differencing and scaling.
"""

from __future__ import annotations

import logging
from typing import Any, get_args

import keras
import numpy as np
from keras import layers

from dl_pipelines.core.mlflow_metrics import mlflow_metrics
from dl_pipelines.pipelines.lstm.served_model import BoxCox, Undifference
from dl_pipelines.pipelines.lstm.settings import Architecture, ForecasterSettings

ARCHITECTURES = get_args(Architecture)

logger = logging.getLogger(__name__)

_RECURRENT = {"lstm": layers.LSTM, "gru": layers.GRU, "simple_rnn": layers.SimpleRNN}


def _head(window: keras.KerasTensor, x: keras.KerasTensor, horizon: int, features: int,
          start: np.ndarray | None, no_change_start: bool) -> keras.KerasTensor:
    """Dense output reshaped to (horizon, features); with a ``start``, the coefficients
    ``(time_steps, features)`` of a fixed linear forecast from each series' own window, the
    network predicts the change from it: with the last value's (1 on the last step), doing nothing
    is the persistence forecast. ``no_change_start`` zeroes the output layer's initial weights: the
    network starts from that forecast instead of a random one."""
    has_start = start is not None and bool(np.any(start))
    # float32 from here on, also under mixed precision: the forecast keeps its full precision.
    x = layers.Dense(horizon * features, name="forecast_flat", dtype="float32",
                     kernel_initializer="zeros" if no_change_start else "glorot_uniform")(x)
    x = layers.Reshape((horizon, features), name="change" if has_start else "forecast", dtype="float32")(x)
    if not has_start:
        return x
    # One kernel per series over the whole window: each series' start reads its own past only.
    linear = layers.DepthwiseConv1D(window.shape[1], use_bias=False, trainable=False, name="start",
                                    dtype="float32")
    first = linear(window)
    linear.set_weights([np.asarray(start, dtype="float32")[:, :, None]])
    first = layers.UpSampling1D(horizon, name="repeat_start", dtype="float32")(first)
    return layers.Add(name="forecast", dtype="float32")([first, x])


def recurrent_forecaster(time_steps: int, features: int, horizon: int, *, architecture: str = "lstm",
                         units: int = 32, layers_count: int = 1, dropout: float = 0.0,
                         start: np.ndarray | None = None, no_change_start: bool = False,
                         **_: Any) -> keras.Model:
    """``layers_count`` stacked recurrent layers of ``units`` (every one but the last returns its
    whole sequence to the next), dropout, then a dense layer to the forecast."""
    window = keras.Input(shape=(time_steps, features), name="window")
    x = window
    for index in range(layers_count):
        last_layer = index == layers_count - 1
        x = _RECURRENT[architecture](units, return_sequences=not last_layer,
                                     name=f"{architecture}_{index + 1}")(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    return keras.Model(window, _head(window, x, horizon, features, start, no_change_start),
                       name=architecture)


def dense_forecaster(time_steps: int, features: int, horizon: int, *, units: int = 32,
                     layers_count: int = 1, dropout: float = 0.0, start: np.ndarray | None = None,
                     no_change_start: bool = False, **_: Any) -> keras.Model:
    """The baseline on the same window: Flatten, ``layers_count`` Dense relu layers, output."""
    window = keras.Input(shape=(time_steps, features), name="window")
    x = layers.Flatten()(window)
    for _layer in range(layers_count):
        x = layers.Dense(units, activation="relu")(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    return keras.Model(window, _head(window, x, horizon, features, start, no_change_start),
                       name="dense")


def build_forecaster(time_steps: int, features: int, horizon: int, model: ForecasterSettings,
                     start: np.ndarray | None, no_change_start: bool = False) -> keras.Model:
    """Build the forecaster ``model.architecture`` names, with the other settings as options, from
    the linear ``start`` the run chose (:func:`~dl_pipelines.pipelines.lstm.transforms.start_coefficients`;
    None or zeros: none)."""
    options = model.model_dump(exclude={"architecture", "layers", "min_train_windows", "residual"})
    options.update(layers_count=model.layers, start=start, no_change_start=no_change_start)
    if model.architecture == "dense":
        return dense_forecaster(time_steps, features, horizon, **options)
    return recurrent_forecaster(time_steps, features, horizon, architecture=model.architecture,
                                **options)


def untrained(forecaster: keras.Model, train: tuple[np.ndarray, np.ndarray],
              validation: tuple[np.ndarray, np.ndarray], minimum: int, lags: list[int], start: np.ndarray
              ) -> tuple[keras.Model, dict[str, list[float]]]:
    """``forecaster``, built with ``no_change_start`` and the linear ``start`` (untrained: the last
    value or none), kept untrained, and its losses as a one-epoch history. It forecasts no change
    of what it reads: of the series differenced at ``lags`` (seasonal naive after seasonal
    differencing), from the last value when residual, or the training mean (scaled 0) of a series
    neither differenced nor residual."""
    if start.any():  # residual
        forecast = "the last value of the series" + (f" differenced at lags {lags}" if lags else "")
    elif len(lags) == 1 and lags[0] > 1:
        forecast = f"no change at lags {lags} (seasonal naive)"
    elif lags:
        forecast = f"no change at lags {lags}"
    else:
        forecast = "the training mean"
    logger.warning("%d training windows, fewer than lstm.model.min_train_windows=%d: the network is not "
                   "trained; it forecasts %s.", len(train[0]), minimum, forecast)
    history = {}
    for prefix, (x, y) in (("", train), ("val_", validation)):
        scores = forecaster.evaluate(x, y, verbose=0, return_dict=True)
        history.update({f"{prefix}{name}": [float(value)] for name, value in scores.items()})
    return forecaster, history


def served_forecaster(forecaster: keras.Model, offset: np.ndarray, scale: np.ndarray,
                      lambdas: np.ndarray | None = None, lags: list[int] | None = None) -> keras.Model:
    """The served model: raw window in, forecast in the original units out.

    Before the forecaster: the Box-Cox transform (``lambdas``, None for none), differencing at
    ``lags`` and ``(x - offset) / scale``; after it, their inverses. All are layers holding the
    training set's statistics, saved inside the model.
    """
    _, time_steps, features = forecaster.input_shape
    lags = list(lags or [])
    variance = np.square(np.asarray(scale, dtype="float64")).tolist()
    offset = np.asarray(offset, dtype="float64").tolist()
    window = keras.Input(shape=(time_steps + sum(lags), features), name="window")
    levels = window if lambdas is None else BoxCox(lambdas, name="box_cox")(window)
    x = levels
    for index, lag in enumerate(lags):
        x = layers.Subtract(name=f"difference_{index + 1}_lag_{lag}")(
            [layers.Cropping1D((lag, 0))(x), layers.Cropping1D((0, lag))(x)])
    x = layers.Normalization(axis=-1, mean=offset, variance=variance, name="scale")(x)
    x = forecaster(x)
    outputs = layers.Normalization(axis=-1, mean=offset, variance=variance, invert=True,
                                   name="unscale")(x)
    if lags:
        outputs = Undifference(lags, name="undifference")([levels, outputs])
    if lambdas is not None:
        outputs = BoxCox(lambdas, invert=True, name="inverse_box_cox")(outputs)
    return keras.Model(window, outputs, name=f"{forecaster.name}_forecaster")


def start_metrics(model: keras.Model) -> dict[str, Any]:
    """The fixed linear start of a (served) forecaster, for comparing runs in MLflow, averaged
    over the series: ``start_last_value_weight`` and ``start_weight_sum`` (the sum of the absolute
    weights). Both 0: no start (the naive forecast of what the network reads); both 1: the last
    value (``residual: true``); anything else: the ridge start of ``residual: auto``."""
    start = np.zeros((1, 1))
    layers_left = list(model.layers)
    while layers_left:  # the start sits inside the forecaster the served model wraps
        layer = layers_left.pop()
        if layer.name == "start":
            start = layer.get_weights()[0][:, :, 0]
        layers_left += layer.layers if isinstance(layer, keras.Model) else []
    return mlflow_metrics({"start_last_value_weight": float(start[-1].mean()),
                           "start_weight_sum": float(np.abs(start).sum(axis=0).mean())})


def extrapolate(model: keras.Model, window: np.ndarray, steps: int) -> np.ndarray:
    """Recursive multi-step forecast: predict, append the predictions to the window, repeat.

    Args:
        model: Raw window (batch, time_steps, series) in, (batch, horizon, series) out.
        window: The last ``time_steps`` observed values (time_steps, series), or a batch of such
            windows (origins, time_steps, series), forecast together.
        steps: How many future values to produce.

    Returns:
        (steps, series), or (origins, steps, series): from the second block on, built only from
        the model's own forecasts.
    """
    windows = np.asarray(window, dtype="float32")
    if windows.ndim == 2:
        return extrapolate(model, windows[None], steps)[0]
    time_steps = windows.shape[1]
    forecasts: list[np.ndarray] = []
    produced = 0
    while produced < steps:
        block = np.asarray(model.predict_on_batch(windows))  # (origins, horizon, series)
        forecasts.append(block)
        produced += block.shape[1]
        windows = np.concatenate([windows, block.astype("float32")], axis=1)[:, -time_steps:]
    return np.concatenate(forecasts, axis=1)[:, :steps]
