"""Plain-Keras twin of the cnn app on its digits preset (pooled_cnn: 64 and 128 filters, one 3x3 conv
per block, no batch norm, dropout 0.5, Adam 0.002, batch 32), trained 20 epochs without early stopping
or learning-rate drops, on the app's stratified train / validation / test split of scikit-learn's digits.

    .venv/bin/python benchmarks/plain/cnn.py [--epochs 20]
"""

import argparse

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

# Data: 8x8 digits (values 0..16) as uint8 images 0..255; 20% test, then 10% of the rest for validation.
digits = load_digits()
images = np.round(digits.images * (255 / 16)).astype(np.uint8)[..., None]
labels = digits.target.astype(np.uint8)
x, x_test, y, y_test = train_test_split(images, labels, test_size=0.2, stratify=labels, random_state=42)
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.1, stratify=y, random_state=42)
print(f"{len(x_train)} train, {len(x_val)} validation, {len(x_test)} test images")

# Model: two blocks of conv + max-pooling, dropout, softmax; it takes raw uint8 images.
inputs = keras.Input(shape=(8, 8, 1), dtype="uint8")
x = layers.Rescaling(1 / 255)(inputs)
for filters in (64, 128):
    x = layers.Conv2D(filters, 3, padding="same")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(2)(x)
x = layers.Flatten()(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.summary()

model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.002),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
timer = EpochTimer()
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=args.epochs, batch_size=32,
          callbacks=[timer], verbose=2)

probabilities = model.predict(x_test, batch_size=512, verbose=0)
test_accuracy = float((probabilities.argmax(axis=1) == y_test).mean())
print(f"Test accuracy: {test_accuracy:.4f}")
report("cnn", len(x_train), timer.seconds, "test_accuracy", test_accuracy)
