"""Seeding and determinism."""

from __future__ import annotations

import keras
import tensorflow as tf


def set_seed(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy, TensorFlow and Keras in one call.

    Args:
        seed: The seed.
        deterministic: Also make TensorFlow ops deterministic (bit-exact reruns on the same
            machine, at some cost in speed on GPUs).
    """
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
