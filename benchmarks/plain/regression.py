"""Plain Keras twin of the regression app on diabetes (`kedro run --pipelines=regression` with
regression.dataset=diabetes, its preset, 100 epochs and no early stopping): the deep model
Dense 100 -> 100 -> 1 (relu, L2 0.01) on standardised features, Adam 0.001, batch 32.

    .venv/bin/python benchmarks/plain/regression.py [--epochs 100]
"""

import argparse

import keras
from epoch_timer import EpochTimer, report
from keras import layers
from sklearn.datasets import load_diabetes
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=100)
args = parser.parse_args()

keras.utils.set_random_seed(42)

# Data: 442 patients, 10 raw features; 20% test, then 20% of the rest for validation.
x, y = load_diabetes(return_X_y=True, scaled=False)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=42)
x_train, x_val, y_train, y_val = train_test_split(x_train, y_train, test_size=0.2, random_state=42)

# Standardise with the training rows' mean and standard deviation (the target stays as it is).
scaler = StandardScaler().fit(x_train)
x_train, x_val, x_test = (scaler.transform(part).astype("float32") for part in (x_train, x_val, x_test))
y_train, y_val, y_test = (part.astype("float32") for part in (y_train, y_val, y_test))

# Model: two relu layers of 100 units and one linear output, L2 penalty on every kernel.
l2 = keras.regularizers.L2(0.01)
model = keras.Sequential([
    keras.Input(shape=(x_train.shape[1],)),
    layers.Dense(100, activation="relu", kernel_regularizer=l2),
    layers.Dense(100, activation="relu", kernel_regularizer=l2),
    layers.Dense(1, kernel_regularizer=l2),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse", metrics=["mae"])

timer = EpochTimer()
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=args.epochs, batch_size=32,
          callbacks=[timer], verbose=2)

# Evaluate: R^2 of the test predictions.
y_pred = model.predict(x_test, batch_size=1024, verbose=0).reshape(-1)
test_r2 = r2_score(y_test, y_pred)
print(f"Test R^2: {test_r2:.4f}")
report("regression", len(x_train), timer.seconds, "test_r2", test_r2)
