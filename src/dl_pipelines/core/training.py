"""Training that every app shares: one ``fit()`` with the standard callbacks, under the chosen
distribution strategy. The settings are :class:`~dl_pipelines.core.settings.TrainingSettings`
(validated before the run starts); what only the running machine can tell (its replicas) is
checked here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import keras
import mlflow
import numpy as np

from dl_pipelines.core.callbacks import build_callbacks, fit_verbosity, settings_fingerprint
from dl_pipelines.core.compat import keras_array_inputs_without_autotuning
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.interrupts import interrupts_between_steps
from dl_pipelines.core.seeding import set_seed
from dl_pipelines.core.settings import RunSettings, StandardTraining, TrainingSettings
from dl_pipelines.core.strategy import is_chief, resolve_device, strategy_name, worker_scratch

OPTIMIZERS = {
    "sgd": lambda lr, **options: keras.optimizers.SGD(learning_rate=lr, **options),
    "momentum": lambda lr, **options: keras.optimizers.SGD(learning_rate=lr, momentum=0.9, **options),
    "adagrad": lambda lr, **options: keras.optimizers.Adagrad(learning_rate=lr, **options),
    "rmsprop": lambda lr, **options: keras.optimizers.RMSprop(learning_rate=lr, **options),
    "adam": lambda lr, **options: keras.optimizers.Adam(learning_rate=lr, **options),
}


# Training steps per call of the compiled training function with ``steps_per_execution: auto`` on
# one device: a small model's step takes about as long as the Python around it. With several
# replicas it stays 1: Keras 3.15's multi-step loop fails under MirroredStrategy and
# MultiWorkerMirroredStrategy ("You must feed a value for placeholder tensor").
AUTO_STEPS_PER_EXECUTION = 16

def make_optimizer(name: str,
                   learning_rate: float | keras.optimizers.schedules.LearningRateSchedule,
                   **options: Any) -> keras.optimizers.Optimizer:
    """A Keras optimiser by name: sgd, momentum (SGD with momentum 0.9), adagrad, rmsprop, adam;
    ``options`` go to its constructor (e.g. ``global_clipnorm``)."""
    return OPTIMIZERS[name](learning_rate, **options)


def learning_rate_schedule(training: StandardTraining, train_samples: int
                           ) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """``training.learning_rate``, or with ``learning_rate_decay: cosine`` a cosine decay to 1% of
    it over all the planned steps: the small late steps settle the last digits of the loss that a
    constant rate keeps jumping over."""
    if training.learning_rate_decay == "none" or training.epochs == 0:
        return training.learning_rate
    steps = training.epochs * -(-train_samples // training.batch_size)
    return keras.optimizers.schedules.CosineDecay(training.learning_rate, max(steps, 1), alpha=0.01)


def compile_with(model: keras.Model, training: StandardTraining, train_samples: int, **compile_args: Any
                 ) -> keras.Model:
    """``model`` compiled with the optimiser and learning-rate schedule ``training`` names."""
    schedule = learning_rate_schedule(training, train_samples)
    model.compile(optimizer=make_optimizer(training.optimizer, schedule), **compile_args)
    return model


def train_model(
    build: Callable[[], keras.Model],
    train: tuple[Any, Any] | Callable[[int], Any],
    validation: tuple[Any, Any] | Any | None,
    *,
    app: str,
    seed: int,
    training: TrainingSettings,
    epochs: int | None = None,
    checkpoints: bool = True,
    monitor: str = "val_loss",
    samples: int | None = None,
    callbacks: list[keras.callbacks.Callback] | None = None,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Seed, build the compiled model under the strategy's scope, and ``fit()`` it.

    Args:
        build: Returns a compiled Keras model; called inside the strategy's scope.
        train: ``(x, y)`` for training (``y`` may be None for models that need no target), or
            an input pipeline: a function of the global batch size returning a batched
            ``tf.data.Dataset`` (for data too large to hand over as arrays).
        validation: ``(x, y)`` for validation, a batched ``tf.data.Dataset``, or None.
        app: The app name (MLflow metric prefix, log sub-folders).
        seed: Seeds Python, NumPy and TensorFlow before the model is built.
        training: The app's training settings (see the module docstring).
        epochs: Overrides ``training.epochs`` (the grid search trains shorter).
        checkpoints: Back up each epoch so an interrupted run resumes; write TensorBoard logs.
        monitor: The metric early stopping watches.
        samples: Training samples per epoch when ``train`` is an input pipeline (the speed
            curve ``<app>.train_samples_per_second``); counted from the arrays otherwise.
        callbacks: The model's own callbacks (e.g. resetting a stateful model's states), called
            before the standard ones.

    Returns:
        The trained model and its per-epoch history as plain floats.

    Under ``multi_worker`` every worker runs this; only the chief keeps checkpoints and TensorBoard
    logs in the configured folders (the others use scratch folders).
    """
    epochs = training.epochs if epochs is None else epochs
    set_seed(seed, deterministic=training.deterministic)
    strategy, precision = resolve_device(training.strategy, training.precision)
    steps_per_execution = _steps_per_execution(app, training, strategy.num_replicas_in_sync)
    with strategy.scope(), dtype_policy(precision):
        model = build()
    if training.jit_compile != "auto":
        model.jit_compile = training.jit_compile
    model.steps_per_execution = steps_per_execution
    callback_settings = training
    if not checkpoints:
        callback_settings = training.model_copy(update={"checkpoint_dir": None, "tensorboard_dir": None})
    elif not is_chief():
        callback_settings = training.model_copy(
            update={"checkpoint_dir": str(worker_scratch() / "checkpoints"), "tensorboard_dir": None})
    fingerprint = settings_fingerprint({
        "app": app, "seed": seed, "epochs": epochs,
        # How the run prints, where it runs and where it keeps its logs and backups do not
        # change what is trained: a rerun with other values still resumes.
        "training": training.model_dump(exclude=set(RunSettings.RUN_ONLY)),
        "model": _architecture(model),
        "data": None if callable(train) else _data_digest(train),
    })
    if mlflow.active_run() is not None:
        # What the `auto` settings (the run's params) came to on this machine.
        mlflow.set_tags({f"{app}.replicas": strategy.num_replicas_in_sync,
                         f"{app}.strategy": strategy_name(strategy),
                         f"{app}.precision": precision, f"{app}.steps_per_execution": steps_per_execution,
                         f"{app}.jit_compile": model.jit_compile})
    # The global batch: each replica gets the configured batch size.
    batch_size = training.batch_size * strategy.num_replicas_in_sync
    inputs, batch_size = ((train(batch_size),), None) if callable(train) else (train, batch_size)
    samples = samples if callable(train) else len(train[0])
    # Without autotuning, no idle stall when an epoch's iterator ends (core/compat.py); Ctrl-C
    # stops when a step ends, not inside TensorFlow (core/interrupts.py).
    with keras_array_inputs_without_autotuning(), interrupts_between_steps():
        history = model.fit(
            *inputs,
            validation_data=validation,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=not callable(train),  # an input pipeline shuffles (or not) by itself
            callbacks=[*(callbacks or []), *build_callbacks(app, callback_settings, fingerprint=fingerprint,
                                                            monitor=monitor, samples=samples)],
            verbose=fit_verbosity(training.verbose),
        )
    return model, {name: [float(v) for v in values] for name, values in history.history.items()}


def _steps_per_execution(app: str, training: TrainingSettings, replicas: int) -> int:
    """``training.steps_per_execution`` for ``replicas`` devices (``auto``: see
    AUTO_STEPS_PER_EXECUTION); more than 1 with several replicas is refused before training."""
    steps = training.steps_per_execution
    if steps == "auto":
        return AUTO_STEPS_PER_EXECUTION if replicas == 1 else 1
    if steps > 1 and replicas > 1:
        raise ConfigurationError(
            f"Parameter {app}.training.steps_per_execution={steps} cannot be used with {replicas} "
            "replicas (Keras fails to run several steps per call there); set it to auto or 1.")
    return steps


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Build layers under the Keras dtype policy ``name`` (e.g. ``mixed_float16``); models keep
    their output layers in float32 (``dtype="float32"``) so losses and probabilities stay exact."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _architecture(model: keras.Model) -> str:
    """The model's configuration without Keras' automatic layer-name counters (``dense_12``),
    which depend on what the process built before: a resumed run must find its checkpoint."""
    return re.sub(r'_\d+"', '"', json.dumps(model.get_config(), sort_keys=True, default=str))


def _data_digest(arrays: Any) -> str:
    """A hash of the training arrays: a run resumes only on the data it was trained on (not
    after the data file changed, or the regression target was standardised since)."""
    digest = hashlib.blake2b(digest_size=8)  # about 1 GB/s: a fraction of a second for MNIST
    for array in keras.tree.flatten(arrays):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.data)
    return digest.hexdigest()


@contextlib.contextmanager
def nested_run(name: str, params: Mapping[str, Any] | None = None) -> Iterator[None]:
    """An MLflow run nested in the active one (kedro-mlflow's), or nothing when none is active."""
    if mlflow.active_run() is None:
        yield
        return
    with mlflow.start_run(run_name=name, nested=True):
        if params:
            mlflow.log_params(params)
        yield

