"""Plain TensorFlow twin of the rbm app on its synthetic ratings (`kedro run --pipelines=rbm` with
rbm.dataset=synthetic and its preset, 30 epochs): a Bernoulli RBM of 100 hidden units on implicit
visible units (1 = rated), trained by CD-1 on batches of 32 users with SGD, momentum 0.9, learning
rate 0.01 cosine-decayed to 1%, weight decay 0.01; scored by precision@10 on held-out ratings.

    .venv/bin/python benchmarks/plain/rbm.py [--epochs 30]
"""

import argparse
import time

import keras
import numpy as np
import tensorflow as tf
from epoch_timer import report

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=30)
args = parser.parse_args()

keras.utils.set_random_seed(42)
USERS, ITEMS, GENRES, RATINGS_PER_USER, TASTE_CONCENTRATION = 1000, 500, 10, 40, 0.3
HIDDEN, BATCH_SIZE, LEARNING_RATE, MOMENTUM, WEIGHT_DECAY, K = 100, 32, 0.01, 0.9, 0.01, 10

# Data: the app's synthetic ratings. Each movie has a genre and a Zipf-like popularity, each user a
# Dirichlet taste over the genres, and rates about 40 distinct movies (at least 5), drawn without
# replacement in proportion to taste x popularity (Gumbel top-k), in decreasing order of the key.
rng = np.random.default_rng(42)
genre_of_item = rng.integers(GENRES, size=ITEMS)
popularity = rng.permutation(1.0 / np.arange(1, ITEMS + 1) ** 0.7)
counts = np.clip(rng.geometric(1 / (RATINGS_PER_USER - 4), size=USERS) + 4, 5, ITEMS // 2)
tastes = rng.dirichlet(np.full(GENRES, TASTE_CONCENTRATION), size=USERS)
keys = np.log(tastes[:, genre_of_item] * popularity + 1e-12) + rng.gumbel(size=(USERS, ITEMS))
ranked = np.argsort(-keys, axis=1)
users, ranks = np.nonzero(np.arange(ITEMS) < counts[:, None])  # one row per rating, user by user
movie_ids, items = np.unique(ranked[users, ranks], return_inverse=True)  # only the rated movies
movies = len(movie_ids)

# Per-user split: shuffle each user's ratings, keep round(75%) for training, hold out the rest.
shuffled = np.random.default_rng(42).permutation(len(users))
order = shuffled[np.argsort(users[shuffled], kind="stable")]
starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
position = np.empty(len(users), dtype=np.int64)  # of each rating in its user's shuffled order
position[order] = np.arange(len(users)) - np.repeat(starts, counts)
held_out = position >= np.rint(0.75 * counts).astype(np.int64)[users]

# Visible vectors: a users x movies matrix, 1 where the user rated the movie.
train = np.zeros((USERS, movies), dtype="float32")
train[users[~held_out], items[~held_out]] = 1
test = np.zeros((USERS, movies), dtype="float32")
test[users[held_out], items[held_out]] = 1

# The RBM: weights, visible biases at each movie's log-odds of being rated, hidden biases at 0.
frequency = np.clip(train.mean(axis=0), 1e-3, 1 - 1e-3)
W = tf.Variable(keras.initializers.RandomNormal(stddev=0.01, seed=42)((movies, HIDDEN)))
vb = tf.Variable(np.log(frequency / (1 - frequency)).astype("float32"))
hb = tf.Variable(tf.zeros(HIDDEN))
velocities = [tf.Variable(tf.zeros_like(v)) for v in (W, vb, hb)]
step = tf.Variable(0, dtype=tf.int64)
steps = args.epochs * -(-USERS // BATCH_SIZE)
learning_rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, max(steps, 1), alpha=0.01)


def hidden_probabilities(v):
    return tf.sigmoid(v @ W + hb)


def visible_probabilities(h):
    return tf.sigmoid(h @ tf.transpose(W) + vb)


@tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
def cd1_update(v0):
    """One CD-1 step on a batch of visible vectors; SGD with momentum on the CD statistics."""
    ph0 = hidden_probabilities(v0)
    h0 = tf.cast(tf.random.uniform(tf.shape(ph0)) < ph0, tf.float32)  # sampled hidden states
    v1 = visible_probabilities(h0)  # the reconstruction: probabilities
    ph1 = hidden_probabilities(v1)
    n = tf.cast(tf.shape(v0)[0], tf.float32)
    gradients = [-(tf.transpose(v0) @ ph0 - tf.transpose(v1) @ ph1) / n + WEIGHT_DECAY * W,
                 -tf.reduce_sum(v0 - v1, axis=0) / n,
                 -tf.reduce_sum(ph0 - ph1, axis=0) / n]
    lr = learning_rate(step)
    for variable, velocity, gradient in zip((W, vb, hb), velocities, gradients):
        velocity.assign(MOMENTUM * velocity - lr * gradient)
        variable.assign_add(velocity)
    step.assign_add(1)
    # Progress, with the updated weights: mean-field reconstruction error and free energy.
    error = tf.reduce_mean(tf.square(v0 - visible_probabilities(hidden_probabilities(v0))))
    free_energy = -tf.linalg.matvec(v0, vb) - tf.reduce_sum(tf.nn.softplus(v0 @ W + hb), axis=1)
    return error, tf.reduce_mean(free_energy)


# Train: every epoch the users in a new random order, in batches of 32.
batches = tf.data.Dataset.from_tensor_slices(train).shuffle(USERS, seed=42).batch(BATCH_SIZE)
epoch_seconds = []
for epoch in range(args.epochs):
    start = time.perf_counter()
    errors, free_energies = zip(*(cd1_update(batch) for batch in batches))
    error, free_energy = float(np.mean(errors)), float(np.mean(free_energies))
    epoch_seconds.append(time.perf_counter() - start)
    print(f"Epoch {epoch + 1}/{args.epochs} - {epoch_seconds[-1]:.2f}s - reconstruction_error: "
          f"{error:.4f} - free_energy: {free_energy:.4f}")

# Evaluate: each user's 10 best-scored unseen movies, scored by one mean-field pass up and down
# from their training ratings, against their held-out ratings.
scores = visible_probabilities(hidden_probabilities(train)).numpy()
top = tf.math.top_k(np.where(train > 0, -np.inf, scores), k=K).indices.numpy()
hits = np.take_along_axis(test, top, axis=1).sum(axis=1)
evaluated = test.sum(axis=1) > 0
precision = float(np.mean(hits[evaluated] / K))
print(f"Test precision@{K}: {precision:.4f}")
report("rbm", USERS, epoch_seconds, "test_precision_at_10", precision)
