"""Work-arounds for Keras 3 with ``tf.distribute.MultiWorkerMirroredStrategy``.

Keras 3.15's TensorFlow trainer breaks under a multi-worker strategy in two places (upstream:
https://github.com/keras-team/keras/issues/20585): before the first step it eagerly averages a
distributed batch across workers just to learn its shapes, and after each step it averages scalar
metrics "along axis 0". Both fail with the collective ops of several workers. The patches below
take the first replica's batch for the shapes and average the metrics as scalars; they are applied
only when a multi-worker strategy is created, and change nothing for other strategies.
"""

from __future__ import annotations

import tensorflow as tf
from keras.src import tree
from keras.src.backend.tensorflow import trainer as tf_trainer

_original_reduce_per_replica = tf_trainer.reduce_per_replica


def _first_replica(value):
    if isinstance(value, tf.distribute.DistributedValues):
        return tf.distribute.get_strategy().experimental_local_results(value)[0]
    return value


def _maybe_symbolic_build(self, iterator=None, data_batch=None):
    if self._distribute_strategy is None:
        return
    if iterator is not None:
        for _, _, batches in iterator:
            with self.distribute_strategy.scope():
                data_batch = tree.map_structure(_first_replica, next(batches))
            break
    with self.distribute_strategy.scope():
        self._symbolic_build(data_batch=data_batch)


def _reduce_per_replica(values, strategy, reduction):
    if tf_trainer._collective_all_reduce_multi_worker(strategy) and reduction in ("auto", "mean"):
        return tree.map_structure(lambda value: strategy.reduce("MEAN", value, axis=None), values)
    return _original_reduce_per_replica(values, strategy, reduction)


def patch_keras_for_multi_worker() -> None:
    """Apply the two work-arounds (idempotent)."""
    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build
    tf_trainer.reduce_per_replica = _reduce_per_replica
