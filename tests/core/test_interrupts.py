"""Ctrl-C during fit() (core/interrupts.py): it stops when the running step ends, a second one at
once, and outside fit() the first one does."""

import keras
import numpy as np
import pytest

from dl_pipelines.core.callbacks import StopAtInterrupt
from dl_pipelines.core.interrupts import interrupt, interrupts_between_steps


class CtrlCAtStep(keras.callbacks.Callback):
    """Records the steps that begin, and calls the signal handler's interrupt() in the middle of
    step ``step``, as a signal would."""

    def __init__(self, step):
        super().__init__()
        self.step, self.begun = step, []

    def on_train_batch_begin(self, batch, logs=None):
        self.begun.append(batch)
        if batch == self.step:
            interrupt()


def test_outside_a_training_an_interrupt_is_raised_at_once():
    with pytest.raises(KeyboardInterrupt):
        interrupt()


def test_during_a_training_the_step_ends_and_no_other_begins(capfd):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    ctrl_c = CtrlCAtStep(2)
    with pytest.raises(KeyboardInterrupt), interrupts_between_steps():
        model.fit(np.ones((32, 3)), np.zeros(32), batch_size=4, epochs=2, verbose=0,
                  callbacks=[ctrl_c, StopAtInterrupt()])
    assert ctrl_c.begun == [0, 1, 2]
    assert "stopping when the running training step ends" in capfd.readouterr().err
    with pytest.raises(KeyboardInterrupt):  # the block has ended: at once again
        interrupt()


def test_a_second_interrupt_stops_at_once_and_one_after_the_last_step_when_the_block_ends():
    waited = False
    with pytest.raises(KeyboardInterrupt), interrupts_between_steps():
        interrupt()  # waits for the end of a step
        waited = True
        interrupt()  # again: at once
    assert waited
    with pytest.raises(KeyboardInterrupt), interrupts_between_steps():
        interrupt()  # no step ends after it: raised when the block ends
