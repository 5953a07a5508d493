"""Plain Keras twin of the language_model app on shakespeare_excerpt (`kedro run
--pipelines=language_model` with its default dataset and preset, 8 epochs): a character-level GRU
of 128 units after an embedding of 32, on independent windows of 64 characters, Adam 0.01
cosine-decayed to 1%, gradients clipped to a global norm of 5, batch 32; scored by the mean
cross-entropy (nats per character) of the held-out last 10% of the text.

    .venv/bin/python benchmarks/plain/language_model.py [--epochs 8]
"""

import argparse
from pathlib import Path

import keras
import numpy as np
from epoch_timer import EpochTimer, report
from keras import layers

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=8)
args = parser.parse_args()

keras.utils.set_random_seed(42)
STEPS, BATCH_SIZE = 64, 32

# Data: the first ~100 KB of tiny_shakespeare, the excerpt the project ships in its package. The
# first 90% of the characters to train on, the last 10% to validate on.
TEXT = (Path(__file__).resolve().parents[2] / "src" / "dl_pipelines" / "pipelines" / "language_model"
        / "data" / "shakespeare_excerpt.txt")
text = TEXT.read_text(encoding="utf-8")
cut = int(len(text) * 0.9)
vocabulary = sorted(set(text))  # every character of the text, in code-point order
index = {char: i for i, char in enumerate(vocabulary)}


def windows(part):
    """Non-overlapping windows of 64 character ids, and the same windows one character later."""
    ids = np.array([index[char] for char in part], dtype=np.int32)
    count = (len(ids) - 1) // STEPS
    return ids[:count * STEPS].reshape(count, STEPS), ids[1:count * STEPS + 1].reshape(count, STEPS)


(x_train, y_train), (x_val, y_val) = windows(text[:cut]), windows(text[cut:])
print(f"{len(vocabulary)} characters; {len(x_train)} train and {len(x_val)} validation windows")

# Model: character ids -> embedding -> GRU -> one logit per character of the vocabulary.
model = keras.Sequential([
    keras.Input(shape=(None,), dtype="int32"),
    layers.Embedding(len(vocabulary), 32),
    layers.GRU(128, return_sequences=True),
    layers.Dense(len(vocabulary)),
])
steps = args.epochs * -(-len(x_train) // BATCH_SIZE)
learning_rate = keras.optimizers.schedules.CosineDecay(0.01, max(steps, 1), alpha=0.01)
model.compile(optimizer=keras.optimizers.Adam(learning_rate, global_clipnorm=5.0),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

timer = EpochTimer()
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=args.epochs, batch_size=BATCH_SIZE,
          callbacks=[timer], verbose=2)

# Evaluate: mean cross-entropy per character of the validation windows (nats, and bits).
val_loss = model.evaluate(x_val, y_val, batch_size=256, verbose=0)
print(f"Validation loss: {val_loss:.4f} nats per character, {val_loss / np.log(2):.4f} bits per character")
report("language_model", len(x_train), timer.seconds, "val_loss_per_char", val_loss)
