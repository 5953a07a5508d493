"""What the benchmark needs from a plain script, kept out of the scripts themselves: the wall time
of each training epoch, and one JSON line of results on stdout for ``benchmarks/run.py``."""

from __future__ import annotations

import json
import time

import keras


class EpochTimer(keras.callbacks.Callback):
    """Wall seconds of each epoch of a ``fit()`` in ``self.seconds``: from the end of the previous
    epoch (the start of training for the first) to the end of this one, validation included.
    The pipeline's ``<app>.train_epoch_seconds`` is measured the same way."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_train_begin(self, logs=None):
        self.last_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.seconds.append(now - self.last_end)
        self.last_end = now


def report(app: str, train_samples: int, epoch_seconds: list[float], metric: str, value: float) -> None:
    """Print the results as the last line of stdout, where the benchmark reads them."""
    print(json.dumps({"app": app, "train_samples": int(train_samples),
                      "epoch_seconds": [float(s) for s in epoch_seconds],
                      "metric": metric, "value": float(value)}), flush=True)
