"""Plain Keras twin of the classification app on iris (`kedro run --pipelines=classification` with
classification.dataset=iris, its preset and a fixed number of epochs): multinomial logistic
regression (one softmax Dense layer) on standardised measurements, Adam 0.05, batch 16; scored by
the log loss of the test flowers.

    .venv/bin/python benchmarks/plain/classification.py [--epochs 100]
"""

import argparse

import keras
import numpy as np
from epoch_timer import EpochTimer, report
from keras import layers
from sklearn.datasets import load_iris
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=100)
args = parser.parse_args()

keras.utils.set_random_seed(42)

# Data: 150 flowers, 4 measurements, 3 species; 20% test, then 10% of the rest for validation,
# both stratified by species.
x, y = load_iris(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, stratify=y, random_state=42)
x_train, x_val, y_train, y_val = train_test_split(x_train, y_train, test_size=0.1, stratify=y_train,
                                                  random_state=42)
print(f"{len(x_train)} train, {len(x_val)} validation, {len(x_test)} test flowers")

# Standardise with the training rows' mean and standard deviation.
scaler = StandardScaler().fit(x_train)
x_train, x_val, x_test = (scaler.transform(part).astype("float32") for part in (x_train, x_val, x_test))

# Model: logistic regression, one Dense layer with a softmax over the three species.
model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])

timer = EpochTimer()
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=args.epochs, batch_size=16,
          callbacks=[timer], verbose=2)

# Evaluate: log loss (and accuracy) of the test predictions.
probabilities = model.predict(x_test, batch_size=1024, verbose=0)
test_loss = log_loss(y_test, np.clip(probabilities, 1e-7, 1), labels=[0, 1, 2])
print(f"Test accuracy: {accuracy_score(y_test, probabilities.argmax(axis=1)):.4f}, log loss: {test_loss:.4f}")
report("classification", len(x_train), timer.seconds, "test_loss", test_loss)
