"""Where training runs: CPU, one GPU, all local GPUs, or several machines, and in which precision.

Every app's ``training`` parameters choose ``strategy`` (see :func:`get_strategy`) and ``precision``
(``float32``, ``mixed_float16`` or ``mixed_bfloat16``); :func:`resolve_device` turns them into a
TensorFlow strategy and a Keras dtype policy for the machine at hand, with one warning line when
the machine has no GPU for what was asked.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import get_args

import tensorflow as tf

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import Precision, Strategy

logger = logging.getLogger(__name__)

STRATEGIES = get_args(Strategy)
PRECISIONS = get_args(Precision)

# Splits the CPU into this many logical devices, so `mirrored` runs several replicas on a machine
# without GPUs: a way to try (and test) distributed training on a laptop.
LOGICAL_CPUS_ENV = "DL_PIPELINES_LOGICAL_CPUS"


def split_cpu_from_environment() -> None:
    """Apply ``DL_PIPELINES_LOGICAL_CPUS`` (if set): must run before TensorFlow's first operation."""
    value = os.environ.get(LOGICAL_CPUS_ENV, "").strip()
    if not value:
        return
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(f"{LOGICAL_CPUS_ENV}={value!r} is invalid; expected a whole number >= 1.")
    cpu = tf.config.list_physical_devices("CPU")[0]
    wanted = [tf.config.LogicalDeviceConfiguration()] * int(value)
    if len(tf.config.get_logical_device_configuration(cpu) or []) == len(wanted):
        return
    try:
        tf.config.set_logical_device_configuration(cpu, wanted)
    except RuntimeError:
        raise ConfigurationError(f"{LOGICAL_CPUS_ENV}={value} came too late: TensorFlow had already "
                                 "started; set it before `kedro run` starts.") from None


_multi_worker: tf.distribute.Strategy | None = None


def start_multi_worker_from_environment() -> None:
    """Create the multi-worker strategy now if ``TF_CONFIG`` describes a cluster: TensorFlow
    configures its collective ops only before its first operation, long before training starts."""
    global _multi_worker
    if _multi_worker is None and json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster"):
        from dl_pipelines.core.compat import patch_keras_for_multi_worker

        patch_keras_for_multi_worker()
        _multi_worker = tf.distribute.MultiWorkerMirroredStrategy()


def task() -> tuple[str, int]:
    """This process's ``(task type, index)`` in a multi-worker cluster (``TF_CONFIG``), or
    ``("chief", 0)`` when there is no cluster."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    spec = config.get("task") or {}
    return spec.get("type", "chief"), int(spec.get("index", 0))


def is_chief() -> bool:
    """Whether this process writes models, checkpoints and MLflow records: the only process, the
    ``chief`` task, or worker 0 of a cluster without a chief (TensorFlow's convention)."""
    kind, index = task()
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    return kind == "chief" or (kind == "worker" and index == 0 and "chief" not in cluster)


def get_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """Return the TensorFlow distribution strategy called ``name``.

    - ``auto``: the first GPU if there is one, else the CPU.
    - ``cpu``: the CPU, even when GPUs are present.
    - ``one_device``: the first GPU; the CPU on a machine without one.
    - ``mirrored``: every local GPU (or every logical CPU device when there is no GPU; with one CPU
      device this is plain CPU training).
    - ``multi_worker``: several machines, described by the standard ``TF_CONFIG`` variable.
    """
    if name not in STRATEGIES:  # the settings check it too; this is for callers outside a run
        raise ConfigurationError(f"Strategy {name!r} is not known; expected one of: {', '.join(STRATEGIES)}.")
    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored":
        devices = gpus or tf.config.list_logical_devices("CPU")
        if len(devices) > 1 or gpus:
            return tf.distribute.MirroredStrategy([device.name for device in devices])
        # One CPU device and nothing to mirror: plain CPU training, as for `auto`.
    if name == "multi_worker":
        start_multi_worker_from_environment()
        if _multi_worker is None:
            raise ConfigurationError("strategy 'multi_worker' needs TF_CONFIG describing the cluster "
                                     "(see README, 'Several machines'); set it before `kedro run`.")
        return _multi_worker
    if gpus and name != "cpu":
        return tf.distribute.OneDeviceStrategy("/gpu:0")
    # TensorFlow's default strategy: plain CPU training, without the multi-device iterators a
    # OneDeviceStrategy("/cpu:0") would add for nothing.
    return tf.distribute.get_strategy()


@functools.cache
def worker_scratch() -> Path:
    """The scratch folder of a non-chief worker, one per process: its MLflow records, data and
    training backups, which the chief keeps for real. ``hooks.RunEnvironmentHook`` removes it
    when the run ends."""
    kind, index = task()
    return Path(tempfile.mkdtemp(prefix=f"dl_pipelines_{kind}_{index}_"))


def strategy_name(strategy: tf.distribute.Strategy) -> str:
    """The ``strategy`` setting that gives ``strategy`` (what ``auto`` came to, say)."""
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return "multi_worker"
    if isinstance(strategy, tf.distribute.MirroredStrategy):
        return "mirrored"
    return "one_device" if isinstance(strategy, tf.distribute.OneDeviceStrategy) else "cpu"


def resolve_device(strategy: str = "auto", precision: str = "float32"
                   ) -> tuple[tf.distribute.Strategy, str]:
    """The strategy and the Keras dtype policy to train with on this machine.

    On a machine without a GPU, a GPU strategy (``one_device``, ``mirrored``) runs on the CPU and
    mixed precision falls back to float32 (slow or unsupported on CPUs), with one warning line.
    """
    if precision not in PRECISIONS:
        raise ConfigurationError(
            f"Precision {precision!r} is not known; expected one of: {', '.join(PRECISIONS)}.")
    if not tf.config.list_logical_devices("GPU"):
        gpu_only = [f"strategy {strategy!r}"] if strategy in ("one_device", "mirrored") else []
        gpu_only += [f"precision {precision!r}"] if precision != "float32" else []
        if gpu_only:
            cpus = len(tf.config.list_logical_devices("CPU"))
            where = f"{cpus} logical CPU devices" if strategy == "mirrored" and cpus > 1 else "the CPU"
            logger.warning("No GPU on this machine: training on %s in float32 (%s asked for GPUs).",
                           where, " and ".join(gpu_only))
        precision = "float32"
    return get_strategy(strategy), precision
