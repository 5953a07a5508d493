import json
import logging

import pytest
import tensorflow as tf

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.strategy import (
    get_strategy,
    is_chief,
    resolve_device,
    split_cpu_from_environment,
)

HAS_GPU = bool(tf.config.list_logical_devices("GPU"))


@pytest.mark.parametrize("name", ["auto", "cpu", "one_device"])
def test_single_device_strategies_have_one_replica(name):
    assert get_strategy(name).num_replicas_in_sync == 1


@pytest.mark.skipif(HAS_GPU, reason="checks the CPU fallback")
def test_auto_on_a_cpu_machine_is_the_default_strategy():
    assert get_strategy("auto") is tf.distribute.get_strategy()


def test_unknown_strategy_is_named():
    with pytest.raises(ConfigurationError, match="Strategy 'tpu' is not known"):
        get_strategy("tpu")


def tf_config(kind, index, cluster=("worker",)):
    return json.dumps({"cluster": {name: [f"127.0.0.1:{2000 + i}" for i in range(2)] for name in cluster},
                       "task": {"type": kind, "index": index}})


@pytest.mark.parametrize(("config", "chief"), [
    (None, True),
    (tf_config("worker", 0), True),
    (tf_config("worker", 1), False),
    (tf_config("chief", 0, ("chief", "worker")), True),
    (tf_config("worker", 0, ("chief", "worker")), False),
    (tf_config("evaluator", 0, ("worker", "evaluator")), False),
])
def test_only_the_chief_writes(monkeypatch, config, chief):
    if config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", config)
    assert is_chief() is chief


@pytest.mark.skipif(HAS_GPU, reason="checks the CPU fallback")
def test_gpu_settings_on_a_cpu_machine_fall_back_with_one_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="dl_pipelines.core.strategy"):
        strategy, precision = resolve_device("mirrored", "mixed_float16")
    assert precision == "float32" and strategy.num_replicas_in_sync == 1
    assert [record.getMessage() for record in caplog.records] == [
        "No GPU on this machine: training on the CPU in float32 (strategy 'mirrored' and precision "
        "'mixed_float16' asked for GPUs)."]


@pytest.mark.skipif(HAS_GPU, reason="checks the CPU fallback")
def test_cpu_settings_say_nothing(caplog):
    with caplog.at_level(logging.WARNING):
        resolve_device("auto", "float32")
    assert not caplog.records


def test_bad_logical_cpu_count_is_named(monkeypatch):
    monkeypatch.setenv("DL_PIPELINES_LOGICAL_CPUS", "two")
    with pytest.raises(ConfigurationError, match="DL_PIPELINES_LOGICAL_CPUS='two' is invalid"):
        split_cpu_from_environment()


def test_unknown_precision_is_named():
    with pytest.raises(ConfigurationError, match="Precision 'float8' is not known"):
        resolve_device("auto", "float8")
