"""Where training runs: CPU, one GPU, all local GPUs, or several machines."""

from __future__ import annotations

import logging

import tensorflow as tf

from dl_pipelines.core.config import require_choice

logger = logging.getLogger(__name__)

STRATEGIES = ("auto", "cpu", "one_device", "mirrored", "multi_worker")


def get_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """Return the TensorFlow distribution strategy called ``name``.

    - ``auto``: the first GPU if there is one, else the CPU.
    - ``cpu``: the CPU, even when GPUs are present.
    - ``one_device``: the first GPU; the CPU (with a warning) on a machine without one.
    - ``mirrored``: every local GPU (or every logical CPU device when there is no GPU).
    - ``multi_worker``: several machines, described by the standard ``TF_CONFIG`` variable.
    """
    require_choice("strategy", name, STRATEGIES)
    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "one_device" and not gpus:
        logger.warning("strategy 'one_device' asked for a GPU but this machine has none: training on CPU.")
    if gpus and name != "cpu":
        return tf.distribute.OneDeviceStrategy("/gpu:0")
    # TensorFlow's default strategy: plain CPU training, without the multi-device iterators a
    # OneDeviceStrategy("/cpu:0") would add for nothing.
    return tf.distribute.get_strategy()
