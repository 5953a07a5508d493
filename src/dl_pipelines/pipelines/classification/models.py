"""The classifiers of the course, in Keras: logistic regression (one Dense layer) and a dense
network with hidden layers. Both end in a sigmoid unit for two classes (the probability of the
second) and in a softmax over the classes otherwise. They take the transformed features; the
served MLflow model puts the fitted transform in front of them (``core/table_serving.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import layers

from dl_pipelines.core.settings import StandardTraining
from dl_pipelines.core.training import compile_with, train_model
from dl_pipelines.pipelines.classification.settings import ClassifierModelSettings


def _probabilities(x: keras.KerasTensor, classes: int, l2: float) -> keras.KerasTensor:
    regularizer = keras.regularizers.L2(l2) if l2 else None
    if classes == 2:
        return layers.Dense(1, activation="sigmoid", kernel_regularizer=regularizer,
                            name="probability", dtype="float32")(x)
    return layers.Dense(classes, activation="softmax", kernel_regularizer=regularizer,
                        name="probabilities", dtype="float32")(x)


def logistic_regression(n_features: int, classes: int, l2: float = 0.0, **_: Any) -> keras.Model:
    """Binary (sigmoid) or multinomial (softmax) logistic regression: one Dense layer."""
    inputs = keras.Input(shape=(n_features,), name="features")
    return keras.Model(inputs, _probabilities(inputs, classes, l2), name="logistic")


def dense_network(n_features: int, classes: int, units: Sequence[int] = (16,), activation: str = "relu",
                  l2: float = 0.0, dropout: float = 0.0, **_: Any) -> keras.Model:
    """Hidden Dense layers of ``units`` (XOR: one of a few tanh units), dropout after each, then
    the logistic-regression head."""
    inputs = keras.Input(shape=(n_features,), name="features")
    regularizer = keras.regularizers.L2(l2) if l2 else None
    x = inputs
    for width in units:
        x = layers.Dense(width, activation=activation, kernel_regularizer=regularizer)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    return keras.Model(inputs, _probabilities(x, classes, l2), name="dense")


BUILDERS = {"logistic": logistic_regression, "dense": dense_network}


def build_classifier(n_features: int, classes: int, model: ClassifierModelSettings) -> keras.Model:
    """Build the classifier ``model.architecture`` names, with the other settings as options."""
    return BUILDERS[model.architecture](n_features, classes, **model.model_dump(exclude={"architecture"}))


def targets(y: np.ndarray, classes: int) -> np.ndarray:
    """What the loss compares the output with: the class index, or for a sigmoid unit 0./1."""
    return y.astype("float32").reshape(-1, 1) if classes == 2 else y


def fit_classifier(arrays: dict[str, np.ndarray], model: ClassifierModelSettings, training: StandardTraining,
                   seed: int, checkpoints: bool = True) -> tuple[keras.Model, dict[str, list[float]]]:
    """Build, compile and fit one classifier on ``x_train`` (validated on ``x_val``); shared by the
    training and every fold of the cross-validation."""
    classes, n_features = len(arrays["class_names"]), arrays["x_train"].shape[1]

    def build() -> keras.Model:
        loss = "binary_crossentropy" if classes == 2 else "sparse_categorical_crossentropy"
        return compile_with(build_classifier(n_features, classes, model), training, len(arrays["x_train"]),
                            loss=loss, metrics=["accuracy"])

    return train_model(build, (arrays["x_train"], targets(arrays["y_train"], classes)),
                       (arrays["x_val"], targets(arrays["y_val"], classes)), app="classification",
                       seed=seed, training=training, checkpoints=checkpoints)
