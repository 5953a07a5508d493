"""The image classifiers of the course, in Keras: the cnn app trains them, the gan app uses one
to score its samples. Each one takes raw uint8 images and carries its own scaling to [0, 1], so
a served model needs no preprocessing outside it."""

from __future__ import annotations

from typing import Any, Literal

import keras
from keras import layers

from dl_pipelines.core.settings import Count, DropoutRate, Flag, NonNegativeNumber, Settings


class ClassifierSettings(Settings):
    """Which classifier, and its size."""

    architecture: Literal["dense", "strided_cnn", "pooled_cnn"]
    units: Count = 128             # width of the dense layers (dense, strided_cnn)
    filters: Count = 32            # convolution filters (strided_cnn: 2 x; pooled_cnn: filters, 2 x filters)
    dropout: DropoutRate = 0.5     # before the output layer (pooled_cnn)
    convs_per_block: Count = 1     # pooled_cnn: 3x3 convolutions before each max-pooling
    batch_norm: Flag = False       # pooled_cnn: batch normalisation after each convolution
    l2: NonNegativeNumber = 0.0    # L2 penalty on the weights


def _inputs(input_shape: tuple[int, ...]) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    raw = keras.Input(shape=input_shape, dtype="uint8", name="image")
    return raw, layers.Rescaling(1 / 255, name="scale_to_unit")(raw)


def _head(x: keras.KerasTensor, num_classes: int, units: int, l2: float) -> keras.KerasTensor:
    """Dense 128 relu -> Dense 128 relu -> softmax, as in the course."""
    regularizer = keras.regularizers.L2(l2) if l2 else None
    x = layers.Dense(units, activation="relu", kernel_regularizer=regularizer)(x)
    x = layers.Dense(units, activation="relu", kernel_regularizer=regularizer)(x)
    return layers.Dense(num_classes, activation="softmax", name="probabilities", dtype="float32")(x)


def dense_classifier(input_shape, num_classes, units=128, l2=0.0, **_: Any) -> keras.Model:
    """The course's dense baseline: Flatten -> Dense -> Dense -> softmax."""
    raw, x = _inputs(input_shape)
    x = layers.Flatten()(x)
    return keras.Model(raw, _head(x, num_classes, units, l2), name="dense")


def strided_cnn(input_shape, num_classes, units=128, l2=0.0, filters=64, **_: Any) -> keras.Model:
    """The course's CNN: two 5x5 stride-2 convolutions, then the dense head."""
    raw, x = _inputs(input_shape)
    regularizer = keras.regularizers.L2(l2) if l2 else None
    for _layer in range(2):
        x = layers.Conv2D(filters, 5, strides=2, padding="same", activation="relu",
                          kernel_regularizer=regularizer)(x)
    x = layers.Flatten()(x)
    return keras.Model(raw, _head(x, num_classes, units, l2), name="strided_cnn")


def pooled_cnn(input_shape, num_classes, l2=0.0, filters=32, dropout=0.5, convs_per_block=1,
               batch_norm=False, **_: Any) -> keras.Model:
    """A CNN with max-pooling and dropout (the Keras MNIST convnet): two blocks of 3x3
    convolutions + 2x2 max-pooling, with ``filters`` and ``2 * filters`` channels.

    ``convs_per_block=2`` and ``batch_norm=True`` give the deeper VGG-style variant the MNIST
    preset uses to pass 99.2% test accuracy.
    """
    raw, x = _inputs(input_shape)
    regularizer = keras.regularizers.L2(l2) if l2 else None
    for width in (filters, 2 * filters):
        for _conv in range(convs_per_block):
            x = layers.Conv2D(width, 3, padding="same", use_bias=not batch_norm,
                              kernel_regularizer=regularizer)(x)
            if batch_norm:
                x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities",
                           kernel_regularizer=regularizer, dtype="float32")(x)
    return keras.Model(raw, outputs, name="pooled_cnn")


BUILDERS = {"dense": dense_classifier, "strided_cnn": strided_cnn, "pooled_cnn": pooled_cnn}


def build_classifier(input_shape: tuple[int, ...], num_classes: int,
                     model: ClassifierSettings) -> keras.Model:
    """Build the classifier that ``model.architecture`` names, with the other settings as options."""
    options = model.model_dump(exclude={"architecture"})
    return BUILDERS[model.architecture](tuple(input_shape), num_classes, **options)
