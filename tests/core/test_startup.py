"""A run loads TensorFlow, Keras and MLflow with the garbage collector paused, and freezes them."""

import gc
import subprocess
import sys

import pytest

from dl_pipelines.core.startup import long_lived_imports


@pytest.fixture
def collector_state():
    """Leave the test process's collector as it was found."""
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    gc.enable() if enabled else gc.disable()


def test_the_collector_is_paused_during_the_imports_and_what_they_created_is_frozen(collector_state):
    gc.enable()
    frozen_before = gc.get_freeze_count()
    with long_lived_imports():
        assert not gc.isenabled()
        created = [[index] for index in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(created)


def test_a_collector_switched_off_beforehand_stays_off(collector_state):
    gc.disable()
    with long_lived_imports():
        pass
    assert not gc.isenabled()


def test_the_collector_is_back_on_when_an_import_fails(collector_state):
    gc.enable()
    with pytest.raises(ModuleNotFoundError), long_lived_imports():
        import dl_pipelines_no_such_module  # noqa: F401
    assert gc.isenabled()


def test_the_project_settings_leave_the_collector_on_and_tensorflow_frozen():
    """In a fresh process, as ``kedro run`` loads them."""
    probe = ("import gc, sys; import dl_pipelines.settings; "
             "print(gc.isenabled(), 'tensorflow' in sys.modules, gc.get_freeze_count())")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    enabled, tensorflow_loaded, frozen = done.stdout.split()[-3:]
    assert (enabled, tensorflow_loaded) == ("True", "True")
    assert int(frozen) > 100_000  # TensorFlow alone leaves several hundred thousand objects
