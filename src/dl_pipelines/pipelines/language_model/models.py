"""The recurrent language models, keras-io style: token ids in, the logits of the next token at
every position out.

- Word level, as Zaremba, Sutskever and Vinyals (2014): embedding, stacked LSTMs, a softmax over
  the vocabulary, every weight uniform in [-0.1, 0.1]; trained on contiguous streams with the
  state carried from one window to the next (``stateful``: the batch size is part of the model),
  plain SGD with the gradients' global norm clipped and the learning rate cut each epoch after
  the first few.
- Character level: the same shape, LSTM or GRU, on independent windows, Adam.

:func:`streaming_model` turns a trained network into one with its recurrent states as explicit
inputs and outputs: streaming evaluation, sampling and the served model use it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import keras
from keras import layers

from dl_pipelines.core.training import learning_rate_schedule, make_optimizer
from dl_pipelines.pipelines.language_model.settings import LanguageModelTraining, NetworkSettings

RECURRENT = {"lstm": layers.LSTM, "gru": layers.GRU}


def language_model(vocabulary_size: int, model: NetworkSettings, *, batch_size: int | None = None,
                   steps: int | None = None, stateful: bool = False) -> keras.Model:
    """Embedding, ``model.layers`` recurrent layers (dropout before and after each, as in the
    paper's medium model), and a dense layer to one logit per token of the vocabulary."""
    def uniform(*names: str) -> dict[str, keras.initializers.Initializer]:
        # The paper draws every weight from U(-s, s). One initializer per weight: an unseeded
        # Keras 3 initializer called twice returns the same values.
        scale = model.init_scale
        return {name: keras.initializers.RandomUniform(-scale, scale) for name in names} if scale else {}

    tokens = keras.Input(shape=(steps,), batch_size=batch_size, dtype="int32", name="tokens")
    x = layers.Embedding(vocabulary_size, model.embedding_size, name="embedding",
                         **uniform("embeddings_initializer"))(tokens)
    for index in range(model.layers):
        if model.dropout:
            x = layers.Dropout(model.dropout)(x)
        options = uniform("kernel_initializer", "recurrent_initializer")
        if options and model.cell == "lstm":
            options["unit_forget_bias"] = False  # the paper's LSTM has no forget-gate bias of 1
        x = RECURRENT[model.cell](model.units, return_sequences=True, stateful=stateful, unroll=model.unroll,
                                  name=f"{model.cell}_{index + 1}", **options)(x)
    if model.dropout:
        x = layers.Dropout(model.dropout)(x)
    logits = layers.Dense(vocabulary_size, name="logits", dtype="float32", **uniform("kernel_initializer"))(x)
    return keras.Model(tokens, logits, name=f"{model.cell}_language_model")


def step_decay(training: LanguageModelTraining, steps_per_epoch: int
               ) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """The paper's schedule: ``learning_rate`` for ``decay_after_epochs`` epochs, then times
    ``decay_factor`` at the start of every further epoch."""
    decays = training.epochs - training.decay_after_epochs
    if decays <= 0:
        return training.learning_rate
    boundaries = [steps_per_epoch * (training.decay_after_epochs + k) for k in range(decays)]
    values = [training.learning_rate * training.decay_factor ** k for k in range(decays + 1)]
    return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)


def compile_language_model(model: keras.Model, training: LanguageModelTraining, train_windows: int,
                           steps: int = 1) -> keras.Model:
    """Cross-entropy from the logits (the softmax is folded into the loss), the optimiser and
    schedule ``training`` names, gradients clipped to a global norm of ``clip_norm``.

    The loss is the mean per token, what Keras reports. ``window_loss: sum`` (the paper's loss,
    summed over the ``steps`` of a window) takes the same SGD steps: a rate ``steps`` times larger
    and a clipping norm ``steps`` times smaller on the mean's gradients."""
    if training.window_loss == "sum":
        clip = None if training.clip_norm is None else training.clip_norm / steps
        training = training.model_copy(update={"learning_rate": training.learning_rate * steps,
                                               "clip_norm": clip})
    if training.learning_rate_decay == "step":
        schedule = step_decay(training, train_windows // training.batch_size)
    else:
        schedule = learning_rate_schedule(training, train_windows)
    optimizer = make_optimizer(training.optimizer, schedule, global_clipnorm=training.clip_norm)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


class StreamStates(keras.callbacks.Callback):
    """Stateful training: every epoch and every validation pass start from zero states (then the
    state flows from each window to the next of the same stream)."""

    def _reset(self) -> None:
        for layer in self.model.layers:
            if getattr(layer, "stateful", False):
                layer.reset_state()

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        self._reset()

    def on_test_begin(self, logs: Mapping[str, float] | None = None) -> None:
        self._reset()

    def on_test_end(self, logs: Mapping[str, float] | None = None) -> None:
        self._reset()


def streaming_model(network: keras.Model) -> keras.Model:
    """The trained ``network`` with its recurrent states as inputs and outputs: ``[tokens,
    *states]`` in, ``[logits, *new states]`` out, any batch size and length, no dropout. Its
    layers share or copy the trained weights."""
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = network.get_layer("embedding")(tokens)
    states_in, states_out = [], []
    for layer in network.layers:
        if not isinstance(layer, tuple(RECURRENT.values())):
            continue
        config = {**layer.get_config(), "stateful": False, "return_state": True, "unroll": False,
                  "dropout": 0.0, "recurrent_dropout": 0.0}
        recurrent = type(layer).from_config(config)
        names = ("h", "c") if isinstance(layer, layers.LSTM) else ("h",)
        state = [keras.Input(shape=(layer.units,), name=f"{layer.name}_{name}") for name in names]
        x, *new_state = recurrent(x, initial_state=state if len(state) > 1 else state[0])
        recurrent.set_weights(layer.get_weights())
        states_in += state
        states_out += new_state
    logits = network.get_layer("logits")(x)
    return keras.Model([tokens, *states_in], [logits, *states_out], name="streaming_language_model")


def perplexity(nats_per_token: float) -> float:
    """exp(mean cross-entropy per token): the size of a uniform choice as uncertain as the model."""
    return float(math.exp(nats_per_token))
