"""Ctrl-C and SIGTERM during ``fit()`` stop the training when its running step ends, from Python.

Raised wherever the signal lands, the interrupt can land inside TensorFlow's C code and come out
as another exception, tracebacks printed (CI, 2026-12-02: ``SystemError: <built-in function
__import__> returned a result with an exception set``, in ``nest_util``). A step is one compiled
call (``steps_per_execution`` batches). A second Ctrl-C stops at once; outside ``fit()`` the first
one does. (No Keras here: the command line imports this module, and Keras only when a run trains.)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


class _State:
    fitting = False   # inside interrupts_between_steps()
    pending = False   # an interrupt came and waits for the running step to end


def interrupt() -> None:
    """What the command line's signal handler does: inside ``fit()``, the first time, ask it to
    stop when the running step ends; anywhere else, or the second time, raise KeyboardInterrupt."""
    if _State.fitting and not _State.pending:
        _State.pending = True
        # os.write, not print or logging: safe inside a signal handler.
        os.write(2, b"\nInterrupted: stopping when the running training step ends (again: at once).\n")
        return
    raise KeyboardInterrupt


def raise_if_interrupted() -> None:
    """Raise the interrupt that waits for the end of a step (the callback
    :class:`~dl_pipelines.core.callbacks.StopAtInterrupt` calls this when a step ends)."""
    if _State.pending:
        raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_between_steps() -> Iterator[None]:
    """Inside the block, :func:`interrupt` waits for a step of ``fit()`` to end; one that comes
    after the last step is raised when the block ends."""
    _State.fitting, _State.pending = True, False
    try:
        yield
        raise_if_interrupted()
    finally:
        _State.fitting = _State.pending = False
