"""The course's Restricted Boltzmann Machine as a Keras model trained by contrastive divergence,
shared by the ``rbm`` app (visible units are movies) and ``rbm_features`` (visible units are pixels).

``train_step`` runs CD-k on a batch of visible vectors and hands the CD statistics to a Keras
optimiser as gradients (SGD with momentum: Hinton's update rule), so ``fit()`` brings the shared
callbacks, checkpoints and distribution strategies. ``call`` is one mean-field pass up and down:
the probability of each visible unit given the visible vector (a recommendation, a reconstruction).
"""

from __future__ import annotations

from typing import Any, Literal

import keras
import numpy as np
import tensorflow as tf
from keras import ops
from pydantic import field_validator

from dl_pipelines.core.settings import (
    Count,
    FractionOrZero,
    NonNegativeNumber,
    PositiveNumber,
    Settings,
    TrainingSettings,
)
from dl_pipelines.core.training import learning_rate_schedule


class RbmModelSettings(Settings):
    hidden_units: Count
    cd_steps: Count


class RbmTraining(TrainingSettings):
    """Contrastive divergence with SGD and momentum (Hinton's update rule): no optimiser to choose."""

    learning_rate: PositiveNumber
    learning_rate_decay: Literal["none", "cosine"] = "none"
    momentum: FractionOrZero
    weight_decay: NonNegativeNumber
    early_stopping_patience: Literal[0] = 0  # off: CD training has no validation loss to watch

    @field_validator("precision")
    @classmethod
    def _float32_only(cls, precision: str) -> str:
        # CD statistics are small differences of large sums, which half precision would swallow.
        if precision != "float32":
            raise ValueError("the RBM always trains in float32; set its training.precision to float32")
        return precision


@keras.saving.register_keras_serializable(package="dl_pipelines.rbm")
class BernoulliRBM(keras.Model):
    """Binary visible units (movies), binary hidden units (tastes), trained with CD-k.

    Args:
        visible_units: Movies.
        hidden_units: Hidden features.
        cd_steps: Gibbs steps of the negative phase (the k of CD-k).
        weight_decay: L2 penalty on the weights, added to their CD gradient.
        seed: Seeds the initial weights and the Gibbs sampling.
        pseudo_likelihood: Also track the pseudo-log-likelihood of each batch (the curve that
            shows an image RBM learning; one more pass over the batch per step).
    """

    def __init__(self, visible_units: int, hidden_units: int, cd_steps: int = 1,
                 weight_decay: float = 0.0, seed: int = 0, pseudo_likelihood: bool = False,
                 **kwargs: Any):
        # Always float32: CD statistics are small differences of large sums, which half
        # precision would swallow (under a mixed-precision run the RBM stays float32).
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.visible_units, self.hidden_units = int(visible_units), int(hidden_units)
        self.cd_steps, self.weight_decay, self.seed = int(cd_steps), float(weight_decay), int(seed)
        self.pseudo_likelihood = bool(pseudo_likelihood)
        self.kernel = self.add_weight(
            shape=(self.visible_units, self.hidden_units), name="kernel",
            initializer=keras.initializers.RandomNormal(stddev=0.01, seed=seed))
        self.visible_bias = self.add_weight(shape=(self.visible_units,), name="visible_bias",
                                            initializer="zeros")
        self.hidden_bias = self.add_weight(shape=(self.hidden_units,), name="hidden_bias",
                                           initializer="zeros")
        self.sampling_seed = keras.random.SeedGenerator(seed, name="sampling_seed")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_error")
        self.free_energy_tracker = keras.metrics.Mean(name="free_energy")
        self.pseudo_likelihood_tracker = keras.metrics.Mean(name="pseudo_log_likelihood")
        self.built = True

    def start_visible_bias(self, frequencies: np.ndarray) -> None:
        """Visible biases log(p / (1 - p)) of each unit's frequency in training (Hinton's guide,
        section 8): the units start at the right base rate instead of learning it first."""
        p = np.clip(np.asarray(frequencies, dtype=np.float32), 1e-3, 1 - 1e-3)
        self.visible_bias.assign(np.log(p / (1 - p)))

    def hidden_probabilities(self, visible: tf.Tensor) -> tf.Tensor:
        return ops.sigmoid(ops.matmul(visible, self.kernel) + self.hidden_bias)

    def visible_probabilities(self, hidden: tf.Tensor) -> tf.Tensor:
        return ops.sigmoid(ops.matmul(hidden, ops.transpose(self.kernel)) + self.visible_bias)

    def free_energy(self, visible: tf.Tensor) -> tf.Tensor:
        """F(v) = -v.b - sum_j softplus(c_j + v.W_j), per row: low for likely vectors."""
        pre_activation = ops.matmul(visible, self.kernel) + self.hidden_bias
        return (-ops.matmul(visible, ops.expand_dims(self.visible_bias, -1))[:, 0]
                - ops.sum(ops.softplus(pre_activation), axis=-1))

    def pseudo_log_likelihood(self, visible: tf.Tensor, units: tf.Tensor) -> tf.Tensor:
        """Per row, n * log P(v_i | v_-i) for the visible unit ``units[row]``, flipped: the stochastic
        estimate of the pseudo-log-likelihood of the deeplearning.net RBM tutorial."""
        flipped = ops.where(ops.one_hot(units, self.visible_units) > 0, 1.0 - visible, visible)
        return self.visible_units * ops.log_sigmoid(self.free_energy(flipped) - self.free_energy(visible))

    def gibbs_chain(self, visible: tf.Tensor, steps: int) -> tf.Tensor:
        """``steps`` (>= 1) rounds of block Gibbs sampling from ``visible``: the visible
        probabilities of the last round, a sample of the model's own distribution as ``steps`` grows."""
        for _ in range(steps):
            probabilities = self.visible_probabilities(self._sample(self.hidden_probabilities(visible)))
            visible = self._sample(probabilities)
        return probabilities

    def call(self, visible: tf.Tensor) -> tf.Tensor:
        return self.visible_probabilities(self.hidden_probabilities(visible))

    def _sample(self, probabilities: tf.Tensor) -> tf.Tensor:
        uniform = keras.random.uniform(ops.shape(probabilities), seed=self.sampling_seed)
        return ops.cast(uniform < probabilities, probabilities.dtype)

    def train_step(self, visible: tf.Tensor) -> dict[str, tf.Tensor]:
        """One CD-k update on a batch of visible vectors."""
        if isinstance(visible, tuple):  # fit(x, None) hands over (x,)
            visible = visible[0]
        positive_hidden = self.hidden_probabilities(visible)
        hidden = self._sample(positive_hidden)
        for _ in range(self.cd_steps):
            # Reconstructions are probabilities, hidden states samples (Hinton's guide, 3.2).
            negative_visible = self.visible_probabilities(hidden)
            negative_hidden = self.hidden_probabilities(negative_visible)
            hidden = self._sample(negative_hidden)
        # Under a distribution strategy the optimiser sums the replicas' gradients: each replica
        # divides by the global batch and brings its share of the weight decay.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        batch = ops.cast(ops.shape(visible)[0] * replicas, visible.dtype)
        gradients = [
            -(ops.matmul(ops.transpose(visible), positive_hidden)
              - ops.matmul(ops.transpose(negative_visible), negative_hidden)) / batch
            + self.weight_decay / replicas * self.kernel,
            -ops.sum(visible - negative_visible, axis=0) / batch,
            -ops.sum(positive_hidden - negative_hidden, axis=0) / batch,
        ]
        self.optimizer.apply_gradients(
            zip(gradients, [self.kernel, self.visible_bias, self.hidden_bias], strict=True))
        self.reconstruction_tracker.update_state(ops.mean(ops.square(visible - self(visible))))
        self.free_energy_tracker.update_state(ops.mean(self.free_energy(visible)))
        if self.pseudo_likelihood:
            # Each row flips the next unit in turn, so that an epoch covers every unit equally
            # (one unit per batch, as the tutorial does, makes the epoch means jump).
            first = ops.cast(self.optimizer.iterations, "int32") * ops.shape(visible)[0]
            units = ops.mod(first + ops.arange(ops.shape(visible)[0], dtype="int32"), self.visible_units)
            self.pseudo_likelihood_tracker.update_state(ops.mean(self.pseudo_log_likelihood(visible, units)))
        return {metric.name: metric.result() for metric in self.metrics}

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        # Listed here so Keras resets them at the start of each epoch.
        trackers = [self.reconstruction_tracker, self.free_energy_tracker]
        return [*trackers, self.pseudo_likelihood_tracker] if self.pseudo_likelihood else trackers

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "visible_units": self.visible_units,
                "hidden_units": self.hidden_units, "cd_steps": self.cd_steps,
                "weight_decay": self.weight_decay, "seed": self.seed,
                "pseudo_likelihood": self.pseudo_likelihood}



def compiled_rbm(visible_units: int, model: RbmModelSettings, training: RbmTraining, train_samples: int,
                 frequencies: np.ndarray, seed: int, *, pseudo_likelihood: bool = False) -> BernoulliRBM:
    """A new RBM with visible biases started from ``frequencies``, compiled with SGD and momentum
    on the CD statistics (the RBM's own update rule)."""
    rbm = BernoulliRBM(visible_units, model.hidden_units, cd_steps=model.cd_steps,
                       weight_decay=training.weight_decay, seed=seed,
                       pseudo_likelihood=pseudo_likelihood, name="rbm")
    rbm.start_visible_bias(frequencies)
    rbm.compile(optimizer=keras.optimizers.SGD(learning_rate_schedule(training, train_samples),
                                               momentum=training.momentum))
    return rbm
