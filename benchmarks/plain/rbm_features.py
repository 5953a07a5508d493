"""Plain Keras twin of the rbm_features app on digits (`kedro run --pipelines=rbm_features` with
rbm_features.dataset=digits and its preset, 30 epochs): a Bernoulli RBM of 100 hidden units on the
8x8 images (grey values as pixel probabilities), trained by CD-1 on batches of 10 with SGD, momentum
0.5, learning rate 0.05 cosine-decayed to 1%, weight decay 0.0001; then scikit-learn's logistic
regression (C = 100) on its hidden units, scored by the test accuracy.

    .venv/bin/python benchmarks/plain/rbm_features.py [--epochs 30]
"""

import argparse

import keras
import numpy as np
from epoch_timer import EpochTimer, report
from keras import ops
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=30)
args = parser.parse_args()

keras.utils.set_random_seed(42)
HIDDEN, CD_STEPS, BATCH_SIZE, LEARNING_RATE, MOMENTUM, WEIGHT_DECAY = 100, 1, 10, 0.05, 0.5, 0.0001

# Data: 8x8 digits (values 0..16) as uint8 images 0..255; 20% test, then 10% of the rest for
# validation (not used here: the RBM has no validation loss). Each grey value / 255 is read as
# the probability that its pixel is on.
digits = load_digits()
images = np.round(digits.images * (255 / 16)).astype(np.uint8)
labels = digits.target.astype(np.uint8)
x, x_test, y, y_test = train_test_split(images, labels, test_size=0.2, stratify=labels, random_state=42)
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.1, stratify=y, random_state=42)
v_train, v_test = (part.astype(np.float32).reshape(len(part), -1) / 255 for part in (x_train, x_test))


class RBM(keras.Model):
    """Binary visible and hidden units; fit() runs one CD-k update per batch."""

    def __init__(self, visible_units, frequencies):
        super().__init__()
        self.W = self.add_weight(shape=(visible_units, HIDDEN),
                                 initializer=keras.initializers.RandomNormal(stddev=0.01, seed=42))
        # Visible biases at each pixel's log-odds of being on in training, hidden biases at 0.
        p = np.clip(frequencies, 1e-3, 1 - 1e-3)
        self.vb = self.add_weight(shape=(visible_units,), initializer="zeros")
        self.vb.assign(np.log(p / (1 - p)))
        self.hb = self.add_weight(shape=(HIDDEN,), initializer="zeros")
        self.seed_generator = keras.random.SeedGenerator(42)
        self.error = keras.metrics.Mean(name="reconstruction_error")

    def hidden_probabilities(self, v):
        return ops.sigmoid(ops.matmul(v, self.W) + self.hb)

    def visible_probabilities(self, h):
        return ops.sigmoid(ops.matmul(h, ops.transpose(self.W)) + self.vb)

    def sample(self, probabilities):
        uniform = keras.random.uniform(ops.shape(probabilities), seed=self.seed_generator)
        return ops.cast(uniform < probabilities, "float32")

    def call(self, v):
        return self.visible_probabilities(self.hidden_probabilities(v))

    def train_step(self, data):
        v0 = data[0] if isinstance(data, tuple) else data
        ph0 = self.hidden_probabilities(v0)
        h = self.sample(ph0)
        for _ in range(CD_STEPS):  # reconstructions are probabilities, hidden states samples
            v1 = self.visible_probabilities(h)
            ph1 = self.hidden_probabilities(v1)
            h = self.sample(ph1)
        n = ops.cast(ops.shape(v0)[0], "float32")
        gradients = [-(ops.matmul(ops.transpose(v0), ph0) - ops.matmul(ops.transpose(v1), ph1)) / n
                     + WEIGHT_DECAY * self.W,
                     -ops.sum(v0 - v1, axis=0) / n,
                     -ops.sum(ph0 - ph1, axis=0) / n]
        self.optimizer.apply_gradients(zip(gradients, [self.W, self.vb, self.hb]))
        self.error.update_state(ops.mean(ops.square(v0 - self(v0))))
        return {"reconstruction_error": self.error.result()}

    @property
    def metrics(self):
        return [self.error]


rbm = RBM(v_train.shape[1], v_train.mean(axis=0))
steps = args.epochs * -(-len(v_train) // BATCH_SIZE)
learning_rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, max(steps, 1), alpha=0.01)
rbm.compile(optimizer=keras.optimizers.SGD(learning_rate, momentum=MOMENTUM))
timer = EpochTimer()
rbm.fit(v_train, epochs=args.epochs, batch_size=BATCH_SIZE, callbacks=[timer], verbose=2)

# The RBM as a feature learner: a logistic regression on its hidden units' probabilities.
classifier = LogisticRegression(C=100.0, max_iter=500).fit(rbm.hidden_probabilities(v_train).numpy(), y_train)
test_accuracy = classifier.score(rbm.hidden_probabilities(v_test).numpy(), y_test)
test_error = float(np.mean((v_test - rbm(v_test).numpy()) ** 2))
print(f"Test accuracy: {test_accuracy:.4f}, test reconstruction error: {test_error:.6f}")
report("rbm_features", len(v_train), timer.seconds, "test_accuracy", test_accuracy)
