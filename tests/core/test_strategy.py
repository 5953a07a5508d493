import pytest
import tensorflow as tf

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.strategy import get_strategy

HAS_GPU = bool(tf.config.list_logical_devices("GPU"))


@pytest.mark.parametrize("name", ["auto", "cpu", "one_device"])
def test_single_device_strategies_have_one_replica(name):
    assert get_strategy(name).num_replicas_in_sync == 1


@pytest.mark.skipif(HAS_GPU, reason="checks the CPU fallback")
def test_auto_on_a_cpu_machine_is_the_default_strategy():
    assert get_strategy("auto") is tf.distribute.get_strategy()


def test_unknown_strategy_is_named():
    with pytest.raises(ConfigurationError, match="strategy='tpu'"):
        get_strategy("tpu")
