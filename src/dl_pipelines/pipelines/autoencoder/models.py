"""The autoencoders of the app, in Keras: the course's dense one, a deep one after Hinton &
Salakhutdinov (2006) and a convolutional one.

Each is built as an ``encoder`` (raw uint8 image -> code) and a ``decoder`` (code -> image with
pixels in [0, 1]), joined into the ``autoencoder``. The encoder carries its own scaling to [0, 1],
so the served autoencoder and the saved encoder take raw images, like the cnn classifiers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import keras
import numpy as np
from keras import layers

if TYPE_CHECKING:
    from dl_pipelines.pipelines.autoencoder.settings import AutoencoderModelSettings

# Hidden widths of Hinton & Salakhutdinov's MNIST autoencoder (784-1000-500-250-code).
DEEP_WIDTHS = (1000, 500, 250)
MNIST_PIXELS = 28 * 28


def _scaled_input(input_shape: tuple[int, ...], noise_stddev: float
                  ) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """Raw uint8 images in, pixels in [0, 1] out; with Gaussian noise during training only, which
    makes the model a denoising autoencoder (noisy inputs, clean targets) at no data cost."""
    raw = keras.Input(shape=input_shape, dtype="uint8", name="image")
    x = layers.Rescaling(1 / 255, name="scale_to_unit")(raw)
    if noise_stddev:
        x = layers.GaussianNoise(noise_stddev, name="denoising_noise")(x)
    return raw, x


def _join(encoder: keras.Model, decoder: keras.Model, name: str) -> keras.Model:
    raw = keras.Input(shape=encoder.input_shape[1:], dtype="uint8", name="image")
    return keras.Model(raw, decoder(encoder(raw)), name=name)


def dense_autoencoder(input_shape, code_size, units=256, noise_stddev=0.0, **_: Any) -> keras.Model:
    """The course's autoencoder: pixels -> 256 -> code -> 256 -> pixels, sigmoid everywhere."""
    pixels = int(np.prod(input_shape))
    raw, x = _scaled_input(input_shape, noise_stddev)
    x = layers.Flatten()(x)
    x = layers.Dense(units, activation="sigmoid")(x)
    code = layers.Dense(code_size, activation="sigmoid", name="code")(x)
    encoder = keras.Model(raw, code, name="encoder")

    code_in = keras.Input(shape=(code_size,), name="code")
    x = layers.Dense(units, activation="sigmoid")(code_in)
    x = layers.Dense(pixels, activation="sigmoid", dtype="float32")(x)
    decoder = keras.Model(code_in, layers.Reshape(input_shape, name="pixels", dtype="float32")(x),
                          name="decoder")
    return _join(encoder, decoder, "dense_autoencoder")


def deep_widths(pixels: int, code_size: int) -> list[int]:
    """The 1000-500-250 hidden widths, scaled by the image size relative to MNIST's 784 pixels
    (8x8 digits get 82-41-20), and never narrower than the code."""
    return [max(code_size, round(width * pixels / MNIST_PIXELS)) for width in DEEP_WIDTHS]


def deep_autoencoder(input_shape, code_size, noise_stddev=0.0, **_: Any) -> keras.Model:
    """Hinton & Salakhutdinov's deep autoencoder: pixels-1000-500-250-code and back, with a
    linear code layer and sigmoid pixels. ReLU hidden units (instead of their RBM-pretrained
    logistic units) let plain Adam train it from a random start."""
    pixels = int(np.prod(input_shape))
    widths = deep_widths(pixels, code_size)
    raw, x = _scaled_input(input_shape, noise_stddev)
    x = layers.Flatten()(x)
    for width in widths:
        x = layers.Dense(width, activation="relu")(x)
    code = layers.Dense(code_size, name="code")(x)
    encoder = keras.Model(raw, code, name="encoder")

    code_in = keras.Input(shape=(code_size,), name="code")
    x = code_in
    for width in reversed(widths):
        x = layers.Dense(width, activation="relu")(x)
    x = layers.Dense(pixels, activation="sigmoid", dtype="float32")(x)
    decoder = keras.Model(code_in, layers.Reshape(input_shape, name="pixels", dtype="float32")(x),
                          name="decoder")
    return _join(encoder, decoder, "deep_autoencoder")


def conv_autoencoder(input_shape, code_size, filters=32, noise_stddev=0.0, **_: Any) -> keras.Model:
    """A convolutional autoencoder: two stride-2 3x3 convolutions (``filters``, ``2 * filters``)
    down to a dense code, and two stride-2 transposed convolutions back up. Image sides must be
    divisible by 4."""
    height, width, channels = input_shape
    raw, x = _scaled_input(input_shape, noise_stddev)
    for depth in (filters, 2 * filters):
        x = layers.Conv2D(depth, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    code = layers.Dense(code_size, name="code")(x)
    encoder = keras.Model(raw, code, name="encoder")

    code_in = keras.Input(shape=(code_size,), name="code")
    x = layers.Dense((height // 4) * (width // 4) * 2 * filters, activation="relu")(code_in)
    x = layers.Reshape((height // 4, width // 4, 2 * filters))(x)
    for depth in (2 * filters, filters):
        x = layers.Conv2DTranspose(depth, 3, strides=2, padding="same", activation="relu")(x)
    pixels = layers.Conv2D(channels, 3, padding="same", activation="sigmoid", name="pixels",
                           dtype="float32")(x)
    decoder = keras.Model(code_in, pixels, name="decoder")
    return _join(encoder, decoder, "conv_autoencoder")


BUILDERS = {"dense": dense_autoencoder, "deep": deep_autoencoder, "conv": conv_autoencoder}


def shape_problem(architecture: str, input_shape: tuple[int, ...], code_size: int,
                  images: str = "images") -> str | None:
    """One line saying why ``architecture`` with ``code_size`` cannot take ``images`` of
    ``input_shape`` (named after the culprit parameter and giving the fix), or None when it can."""
    pixels = int(np.prod(input_shape))
    shape = "x".join(str(int(side)) for side in input_shape)
    if code_size > pixels:
        return (f"Parameter autoencoder.model.code_size={code_size} is larger than the {shape} "
                f"{images} ({pixels} values); expected at most {pixels}.")
    if architecture == "conv" and (len(input_shape) != 3 or input_shape[0] % 4 or input_shape[1] % 4):
        return (f"Parameter autoencoder.model.architecture='conv' cannot take the {shape} {images}: "
                "it needs image sides divisible by 4; use architecture dense or deep.")
    return None


def build_autoencoder(input_shape: tuple[int, ...], model: AutoencoderModelSettings) -> keras.Model:
    """Build the autoencoder ``model.architecture`` names, with the other settings as options.

    Returns:
        The autoencoder; its parts are ``get_layer("encoder")`` and ``get_layer("decoder")``.
    """
    options = model.model_dump(exclude={"architecture"})
    return BUILDERS[model.architecture](tuple(int(d) for d in input_shape), **options)
