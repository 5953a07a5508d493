"""Plain Keras twin of the lstm app on logistic_map (`kedro run --pipelines=lstm` with
lstm.dataset=logistic_map, its preset, 50 epochs and no early stopping): windows of 4 steps of
x(t+1) = 4 x(t) (1 - x(t)), one LSTM layer of 32 units, Adam 0.01 with cosine decay, batch 32.

    .venv/bin/python benchmarks/plain/lstm.py [--epochs 50]
"""

import argparse

import keras
import numpy as np
from epoch_timer import EpochTimer, report
from keras import layers

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=50)
args = parser.parse_args()

keras.utils.set_random_seed(42)
TIME_STEPS, HORIZON, BATCH_SIZE = 4, 1, 32

# Data: 1000 values of the logistic map, split in time order 70% train / 10% validation / 20% test.
series = np.empty(1000)
series[0] = 0.1
for t in range(1, len(series)):
    series[t] = 4 * series[t - 1] * (1 - series[t - 1])
n_test, n_val = round(len(series) * 0.2), round(len(series) * 0.1)
n_train = len(series) - n_val - n_test

# Standard scaling with the mean and standard deviation of the training part.
mean, std = series[:n_train].mean(), series[:n_train].std()
scaled = (series - mean) / std


def windows(values, start, stop):
    """The TIME_STEPS values before each target in values[start:stop] (a window may reach back
    before start), and the next HORIZON values: x (samples, TIME_STEPS, 1), y (samples, HORIZON, 1)."""
    targets = range(max(start, TIME_STEPS), stop - HORIZON + 1)
    x = np.stack([values[t - TIME_STEPS:t] for t in targets])[..., None]
    y = np.stack([values[t:t + HORIZON] for t in targets])[..., None]
    return x.astype("float32"), y.astype("float32")


x_train, y_train = windows(scaled, 0, n_train)
x_val, y_val = windows(scaled, n_train, n_train + n_val)
x_test, _ = windows(scaled, n_train + n_val, len(series))
truth = series[n_train + n_val:]  # the test windows' next values, in original units

# Model: one LSTM layer of 32 units, then a Dense layer to the next value.
model = keras.Sequential([
    keras.Input(shape=(TIME_STEPS, 1)),
    layers.LSTM(32),
    layers.Dense(HORIZON),
    layers.Reshape((HORIZON, 1)),
])
# The learning rate decays along a cosine to 1% of 0.01 over all the planned steps.
steps = args.epochs * -(-len(x_train) // BATCH_SIZE)
learning_rate = keras.optimizers.schedules.CosineDecay(0.01, max(steps, 1), alpha=0.01)
model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse", metrics=["mae"])

timer = EpochTimer()
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=args.epochs,
          batch_size=BATCH_SIZE, callbacks=[timer], verbose=2)

# Evaluate: MSE of the one-step test forecasts in the series' original units.
y_pred = model.predict(x_test, batch_size=512, verbose=0) * std + mean
test_mse = np.mean((y_pred[:, 0, 0] - truth) ** 2)
print(f"Test MSE (original units): {test_mse:.3g}")
report("lstm", len(x_train), timer.seconds, "test_mse", test_mse)
