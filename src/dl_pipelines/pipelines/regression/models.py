"""The regression models of the course, in Keras: a linear model (one Dense unit) and the deep
model (Dense 100 -> Dense 100 -> 1, relu). They take the transformed features (scaled numbers,
one-hot categories); the served MLflow model puts the fitted transform in front of them (see
``serving.py``), so raw feature rows go in and predictions come out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from dl_pipelines.pipelines.regression.settings import RegressionModelSettings


class WeightTracingModel(keras.Model):
    """A one-feature linear model whose training logs also hold its weight ``w`` and bias ``b``.

    The values then travel like any other metric: into the Keras history (the w/b path the
    evaluation plots) and, through the shared MLflow callback, into the run as per-epoch curves
    ``regression.train_w`` and ``regression.train_b``. Only used while training; the trained
    layers are handed on as a plain functional model, so saving needs no custom class.
    """

    def train_step(self, data: Any) -> dict[str, Any]:
        logs = super().train_step(data)
        kernel, bias = self.get_layer("neuron").weights
        return {**logs, "w": kernel[0, 0], "b": bias[0]}


def linear_regressor(n_features: int, l2: float = 0.0, trace_weights: bool = False,
                     **_: Any) -> keras.Model:
    """Linear regression as a network: one Dense unit, no activation (y = x . w + b)."""
    inputs = keras.Input(shape=(n_features,), name="features")
    regularizer = keras.regularizers.L2(l2) if l2 else None
    outputs = layers.Dense(1, kernel_regularizer=regularizer, name="neuron", dtype="float32")(inputs)
    model_class = WeightTracingModel if trace_weights and n_features == 1 else keras.Model
    return model_class(inputs, outputs, name="linear")


def deep_regressor(n_features: int, units: Sequence[int] = (100, 100), l2: float = 0.0,
                   dropout: float = 0.0, batch_norm: bool = False, **_: Any) -> keras.Model:
    """The course's deep regressor: relu Dense layers of ``units`` (100, 100), then one linear unit.

    Options: an L2 penalty on every kernel, dropout after each hidden layer, and batch
    normalisation between each hidden Dense layer and its relu (the usual keras-io placement).
    """
    inputs = keras.Input(shape=(n_features,), name="features")
    regularizer = keras.regularizers.L2(l2) if l2 else None
    x = inputs
    for width in units:
        if batch_norm:
            # The Dense bias is redundant before BatchNormalization, which has its own shift.
            x = layers.Dense(width, use_bias=False, kernel_regularizer=regularizer)(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        else:
            x = layers.Dense(width, activation="relu", kernel_regularizer=regularizer)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(1, kernel_regularizer=regularizer, name="prediction", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="deep")


BUILDERS = {"linear": linear_regressor, "deep": deep_regressor}


def build_regressor(n_features: int, model: RegressionModelSettings, trace_weights: bool = False
                    ) -> keras.Model:
    """Build the regressor ``model.architecture`` names, with the other settings as options.

    Args:
        n_features: Width of the transformed feature vector.
        model: ``architecture`` plus its options (``units``, ``l2``, ``dropout``, ``batch_norm``);
            ``standardize_target`` is applied by the training node, not here.
        trace_weights: Report ``w`` and ``b`` each epoch (a one-feature linear model only).
    """
    options = model.model_dump(exclude={"architecture", "standardize_target"})
    if model.architecture == "linear":
        options["trace_weights"] = trace_weights
    return BUILDERS[model.architecture](n_features, **options)


def plain_model(model: keras.Model) -> keras.Model:
    """The same trained layers as a plain functional model (drops ``WeightTracingModel``), so
    the ``.keras`` file loads with ``safe_mode`` and no registered class."""
    if type(model) is WeightTracingModel:
        return keras.Model(model.inputs, model.outputs, name=model.name)
    return model


def with_target_scale(model: keras.Model, mean: float, std: float) -> keras.Model:
    """``model`` trained on the standardised target, followed by ``Rescaling(scale=std,
    offset=mean)``: it predicts in the target's own units. A built-in layer, so the ``.keras``
    file still loads with no custom objects."""
    rescale = layers.Rescaling(scale=std, offset=mean, name="target_scale", dtype="float32")
    return keras.Model(model.inputs, rescale(model.outputs[0]), name=model.name)
