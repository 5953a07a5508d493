"""The training input pipelines run without tf.data's autotuning (whose thread makes the end of
an iterator wait up to a minute, core/compat.py) and still give the same batches; Keras is left
as it is outside a training."""

import keras
import numpy as np
import pytest
from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

import dl_pipelines.core.training  # noqa: F401  (importing it must leave Keras as it is)
from dl_pipelines.core import compat
from dl_pipelines.core.errors import UnsupportedVersionError


def batches(dataset):
    return [tuple(np.asarray(part) for part in batch) for batch in dataset]


def seeded_dataset(adapter):
    keras.utils.set_random_seed(7)
    return adapter.get_tf_dataset()


def test_keras_builds_its_array_pipelines_without_autotuning_only_inside_the_block():
    """A Keras upgrade that moves its array adapter fails here, not silently."""
    x, y = np.arange(50, dtype="float32").reshape(25, 2), np.arange(25)
    adapter = ArrayDataAdapter(x, y, batch_size=4, shuffle=True)

    before = seeded_dataset(adapter)
    with compat.keras_array_inputs_without_autotuning():
        inside = seeded_dataset(adapter)
    after = seeded_dataset(adapter)

    assert inside.options().autotune.enabled is False
    assert before.options().autotune.enabled is not False
    assert after.options().autotune.enabled is not False
    for ours, theirs in zip(batches(inside), batches(before), strict=True):
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_array_equal(ours[1], theirs[1])


def test_keras_gets_its_own_method_back_when_the_block_fails():
    keras_method = ArrayDataAdapter.get_tf_dataset
    with pytest.raises(RuntimeError), compat.keras_array_inputs_without_autotuning():
        assert ArrayDataAdapter.get_tf_dataset is not keras_method
        raise RuntimeError("a training that fails")
    assert ArrayDataAdapter.get_tf_dataset is keras_method


def test_without_autotuning_keeps_the_other_options():
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    dataset = compat.without_autotuning(tf.data.Dataset.range(3).with_options(options))
    assert dataset.options().autotune.enabled is False
    assert dataset.options().experimental_distribute.auto_shard_policy == \
        tf.data.experimental.AutoShardPolicy.DATA


def test_another_keras_is_refused_in_one_line():
    expected = (r"^Keras 3.16.0 is installed, but dl_pipelines.core.compat patches private code of "
                r"Keras 3.15.x; install the locked versions")
    with pytest.raises(UnsupportedVersionError, match=expected):
        compat.check_keras_version("3.16.0")
    compat.check_keras_version("3.15.9")  # any patch release of the version they were written for
    compat.check_keras_version()  # the installed one
