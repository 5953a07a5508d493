import keras
import numpy as np
import pytest
import tensorflow as tf

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import StandardTraining
from dl_pipelines.core.training import dtype_policy, learning_rate_schedule, train_model

TRAINING = StandardTraining(epochs=2, batch_size=10, verbose=0, checkpoint_dir=None, tensorboard_dir=None,
                            learning_rate=0.01)


def test_cosine_decay_ends_at_one_percent_after_the_planned_steps():
    schedule = learning_rate_schedule(TRAINING.model_copy(update={"learning_rate_decay": "cosine"}), 100)
    assert isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule)
    assert float(schedule(0)) == pytest.approx(0.01)
    assert float(schedule(20)) == pytest.approx(0.0001)  # 2 epochs x 10 steps
    assert learning_rate_schedule(TRAINING, 100) == 0.01


def test_train_model_is_seeded_and_returns_float_history():
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5], dtype="float32")

    def build():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    runs = [train_model(build, (x, y), (x, y), app="app", seed=3, training=TRAINING) for _ in range(2)]
    (first, history), (second, _) = runs
    assert list(history) == ["loss", "val_loss"] and all(isinstance(v, float) for v in history["loss"])
    np.testing.assert_allclose(first.get_weights()[0], second.get_weights()[0])


def tiny_regressor():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("deterministic", [False, True])
def test_op_determinism_is_turned_on_only_when_asked(monkeypatch, deterministic):
    calls = []
    # Recorded, not done: TensorFlow cannot turn op determinism off again in this process.
    monkeypatch.setattr(tf.config.experimental, "enable_op_determinism", lambda: calls.append(True))
    x = np.zeros((10, 3), dtype="float32")
    training = TRAINING.model_copy(update={"deterministic": deterministic, "epochs": 1})
    train_model(tiny_regressor, (x, x[:, 0]), None, app="app", seed=0, training=training)
    assert calls == ([True] if deterministic else [])


def test_train_model_fits_without_autotuning_and_leaves_keras_as_it_was(monkeypatch):
    """An epoch's iterator must not wait for tf.data's autotuning thread (core/compat.py)."""
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    from dl_pipelines.core import compat

    keras_method, turn_off, autotuning = ArrayDataAdapter.get_tf_dataset, compat.without_autotuning, []

    def recorded(dataset):
        dataset = turn_off(dataset)
        autotuning.append(dataset.options().autotune.enabled)
        return dataset

    monkeypatch.setattr(compat, "without_autotuning", recorded)
    x = np.zeros((10, 3), dtype="float32")
    train_model(tiny_regressor, (x, x[:, 0]), (x, x[:, 0]), app="app", seed=0, training=TRAINING)
    assert autotuning and not any(autotuning)  # the training and the validation pipelines
    assert ArrayDataAdapter.get_tf_dataset is keras_method


def test_checkpoint_fingerprint_ignores_keras_automatic_layer_names(tmp_path):
    """A resumed run builds its model after other models (a plain `kedro run` of every app), so
    Keras numbers its layers differently; it must still find its own checkpoint."""
    from dl_pipelines.core.training import _architecture

    def build():
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])

    first = build()
    keras.layers.Dense(2)  # another model's layer takes the next automatic number
    assert _architecture(first) == _architecture(build())
    wider = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8), keras.layers.Dense(1)])
    assert _architecture(first) != _architecture(wider)


def mixed_precision_models():
    from dl_pipelines.core.classifiers import BUILDERS as CLASSIFIERS
    from dl_pipelines.pipelines.autoencoder.models import BUILDERS as AUTOENCODERS
    from dl_pipelines.pipelines.gan.models import build_discriminator, build_generator
    from dl_pipelines.pipelines.lstm.models import dense_forecaster, recurrent_forecaster
    from dl_pipelines.pipelines.regression.models import BUILDERS as REGRESSORS

    yield from (lambda b=b: b((8, 8, 1), 10, filters=8) for b in CLASSIFIERS.values())
    yield from (lambda b=b: b((8, 8, 1), 4, filters=8) for b in AUTOENCODERS.values())
    yield from (lambda b=b: b(3) for b in REGRESSORS.values())
    yield lambda: recurrent_forecaster(5, 1, 1, residual=True)
    yield lambda: dense_forecaster(5, 1, 2)
    yield lambda: build_generator((8, 8, 1), 16, 16)
    yield lambda: build_discriminator((8, 8, 1), 8)


@pytest.mark.parametrize("build", list(mixed_precision_models()))
def test_mixed_precision_keeps_every_models_output_in_float32(build):
    with dtype_policy("mixed_float16"):
        model = build()
    assert keras.config.dtype_policy().name == "float32"  # restored afterwards
    assert {layer.dtype_policy.compute_dtype for layer in model.layers} >= {"float16"}
    assert all(output.dtype == "float32" for output in model.outputs)


@pytest.mark.parametrize(("setting", "steps"), [("auto", 16), (3, 3)])
def test_several_steps_per_compiled_call_give_the_same_model(setting, steps):
    """``steps_per_execution`` runs several training steps per call of the compiled function
    (less Python per step); the trained weights are those of one step per call."""
    x = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5], dtype="float32")

    def build():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    several, _ = train_model(build, (x, y), None, app="app", seed=3, monitor="loss",
                             training=TRAINING.model_copy(update={"steps_per_execution": setting}))
    one, _ = train_model(build, (x, y), None, app="app", seed=3, monitor="loss",
                         training=TRAINING.model_copy(update={"steps_per_execution": 1}))
    assert several.steps_per_execution == steps and one.steps_per_execution == 1
    np.testing.assert_allclose(several.get_weights()[0], one.get_weights()[0], rtol=1e-5)


def test_several_steps_per_call_with_several_replicas_stop_before_the_model_is_built(monkeypatch):
    """Keras cannot run several steps per call under a multi-replica strategy: an explicit
    setting is refused with the fix; ``auto`` falls back to one step per call."""
    import tensorflow as tf

    from dl_pipelines.core import training as training_module

    class TwoReplicas(tf.distribute.OneDeviceStrategy):
        num_replicas_in_sync = 2

    monkeypatch.setattr(training_module, "resolve_device",
                        lambda strategy, precision: (TwoReplicas("/cpu:0"), precision))
    built = []
    with pytest.raises(ConfigurationError, match=r"app.training.steps_per_execution=4 cannot be used "
                                                 r"with 2 replicas .* set it to auto or 1"):
        train_model(built.append, (np.zeros((4, 1)), None), None, app="app", seed=0,
                    training=TRAINING.model_copy(update={"steps_per_execution": 4}))
    assert built == []
    assert training_module._steps_per_execution("app", TRAINING, 2) == 1


class InterruptAt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise KeyboardInterrupt


def test_an_interrupted_training_resumes_only_on_the_data_it_was_trained_on(tmp_path):
    training = TRAINING.model_copy(update={"epochs": 4, "checkpoint_dir": str(tmp_path),
                                           "checkpoint_every": 1})
    x = np.random.default_rng(0).random((40, 3)).astype("float32")

    def build():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    def train(y, callbacks=()):
        return train_model(build, (x, y), None, app="app", seed=0, training=training, monitor="loss",
                           callbacks=list(callbacks))[1]["loss"]

    with pytest.raises(KeyboardInterrupt):
        train(x.sum(axis=1), [InterruptAt()])
    assert len(train(x.sum(axis=1) * 1000)) == 4  # another target (say, standardised or not): from the start
    assert len(train(x.sum(axis=1))) == 2  # the same data: from the backup after epoch 2
