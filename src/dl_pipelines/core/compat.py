"""Work-arounds for Keras 3.15 and TensorFlow 2.21, each with the symptom it removes.

**Multi-worker training.** Keras 3.15's TensorFlow trainer breaks under
``tf.distribute.MultiWorkerMirroredStrategy`` in two places (upstream:
https://github.com/keras-team/keras/issues/20585): before the first step it eagerly averages a
distributed batch across workers just to learn its shapes, and after each step it averages scalar
metrics "along axis 0". Both fail with the collective ops of several workers. The patches below
take the first replica's batch for the shapes and average the metrics as scalars; they are applied
only when a multi-worker strategy is created, and change nothing for other strategies.

**Stalls when an input pipeline ends.** TensorFlow 2.21 destroys a tf.data iterator that has
autotuning on only once the autotuning thread wakes from its sleep, and that sleep grows to a
minute (no upstream issue found; seen with ``gdb``: the main thread waits in the iterator's
destructor for ``Model::OptimizeLoop``). A training on NumPy arrays (Keras builds an autotuned
pipeline from them) or on this project's own pipelines then sits idle, with no CPU used, at an
epoch boundary or at its end: 15 to 20 s on 6 of 9 runs of the cnn app on MNIST.
``without_autotuning`` turns the autotuning off; the batches and their order stay the same, and so
did the speed on MNIST. Only iterators that live long (a training epoch) stall, so Keras' array
pipelines go without autotuning only inside ``keras_array_inputs_without_autotuning``, which
``core.training`` wraps around ``fit()``: Keras is left as it is everywhere else.
``benchmarks/autotune_stall.py`` tells whether a new TensorFlow still stalls.

Both patch private Keras code as it is in Keras 3.15 (the version in ``uv.lock``); another Keras
is refused with one line rather than left to fail obscurely inside a training.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras
import tensorflow as tf
from keras.src import tree
from keras.src.backend.tensorflow import trainer as tf_trainer
from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

from dl_pipelines.core.errors import UnsupportedVersionError

WRITTEN_FOR_KERAS = "3.15"


def check_keras_version(installed: str = keras.version()) -> None:
    """Refuse a Keras whose private code may differ from the one these patches replace."""
    if installed.split(".")[:2] != WRITTEN_FOR_KERAS.split("."):
        raise UnsupportedVersionError(
            f"Keras {installed} is installed, but dl_pipelines.core.compat patches private code of "
            f"Keras {WRITTEN_FOR_KERAS}.x; install the locked versions (make install, or uv sync "
            "--frozen), or port the patches and update WRITTEN_FOR_KERAS.")


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
    check_keras_version()
    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build
    tf_trainer.reduce_per_replica = _reduce_per_replica


def without_autotuning(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``dataset`` with tf.data's autotuning thread off (see the module docstring)."""
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


@contextlib.contextmanager
def keras_array_inputs_without_autotuning() -> Iterator[None]:
    """Inside the block, the pipelines Keras builds from NumPy arrays (``fit``, ``evaluate``,
    ``predict``) run without autotuning; Keras' own method is back when the block ends."""
    check_keras_version()
    keras_array_dataset = ArrayDataAdapter.get_tf_dataset
    ArrayDataAdapter.get_tf_dataset = lambda adapter: without_autotuning(keras_array_dataset(adapter))
    try:
        yield
    finally:
        ArrayDataAdapter.get_tf_dataset = keras_array_dataset
