"""Plain-Keras twin of the autoencoder app on its digits preset (conv autoencoder, 32 and 64 filters,
code size 8, MSE loss, Adam 0.003 with cosine decay to 1% over all the steps, batch 64), trained 20
epochs without early stopping, on the app's stratified train / validation / test split of digits.

    .venv/bin/python benchmarks/plain/autoencoder.py [--epochs 20]
"""

import argparse
import math

import keras
import numpy as np
from epoch_timer import EpochTimer, report
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=20)
args = parser.parse_args()
keras.utils.set_random_seed(42)
batch_size, code_size, filters = 64, 8, 32

# Data: 8x8 digits (values 0..16) as uint8 images 0..255; 20% test, then 10% of the rest for validation.
digits = load_digits()
images = np.round(digits.images * (255 / 16)).astype(np.uint8)[..., None]
labels = digits.target.astype(np.uint8)
x, x_test, y, _ = train_test_split(images, labels, test_size=0.2, stratify=labels, random_state=42)
x_train, x_val, _, _ = train_test_split(x, y, test_size=0.1, stratify=y, random_state=42)
print(f"{len(x_train)} train, {len(x_val)} validation, {len(x_test)} test images")


def to_unit(images):
    """uint8 pixels as float32 in [0, 1]: the targets."""
    return images.astype(np.float32) / 255


# Encoder: raw uint8 image -> two stride-2 convolutions -> 8 numbers.
raw = keras.Input(shape=(8, 8, 1), dtype="uint8")
h = layers.Rescaling(1 / 255)(raw)
h = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(h)
h = layers.Conv2D(2 * filters, 3, strides=2, padding="same", activation="relu")(h)
code = layers.Dense(code_size)(layers.Flatten()(h))
encoder = keras.Model(raw, code, name="encoder")

# Decoder: code -> 2x2 feature map -> two stride-2 transposed convolutions -> [0, 1] pixels.
code_in = keras.Input(shape=(code_size,))
h = layers.Dense(2 * 2 * 2 * filters, activation="relu")(code_in)
h = layers.Reshape((2, 2, 2 * filters))(h)
h = layers.Conv2DTranspose(2 * filters, 3, strides=2, padding="same", activation="relu")(h)
h = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")(h)
pixels = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(h)
decoder = keras.Model(code_in, pixels, name="decoder")

autoencoder = keras.Model(raw, decoder(encoder(raw)), name="autoencoder")
autoencoder.summary()

# Cosine decay of the learning rate from 0.003 down to 1% of it over all the planned steps.
steps = args.epochs * math.ceil(len(x_train) / batch_size)
schedule = keras.optimizers.schedules.CosineDecay(0.003, decay_steps=max(steps, 1), alpha=0.01)
autoencoder.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule), loss="mse",
                    metrics=[keras.metrics.MeanSquaredError(name="mse"),
                             keras.metrics.BinaryCrossentropy(name="bce")])
timer = EpochTimer()
autoencoder.fit(x_train, to_unit(x_train), validation_data=(x_val, to_unit(x_val)),
                epochs=args.epochs, batch_size=batch_size, callbacks=[timer], verbose=2)

# Test MSE per pixel on [0, 1] pixels, of the reconstructions through the encoder and the decoder.
codes = encoder.predict(x_test, batch_size=1024, verbose=0)
reconstructions = decoder.predict(codes, batch_size=1024, verbose=0)
test_mse = float(np.mean((to_unit(x_test) - reconstructions) ** 2))
print(f"Test MSE: {test_mse:.5f}")
report("autoencoder", len(x_train), timer.seconds, "test_mse", test_mse)
