"""The course's DCGAN in Keras: a generator (noise -> image in [-1, 1]), a discriminator (image ->
one logit), and a ``keras.Model`` subclass whose ``train_step`` plays the two-player game, as in the
keras-io DCGAN example, so it trains through ``fit()`` with the project's shared callbacks.

Every layer has an explicit name: the resume fingerprint of ``core.training.train_model`` hashes
the model's config, and Keras' automatic names (``dense_12``) depend on how many layers the process
built before, so a rerun in another process would otherwise miss its own checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import tensorflow as tf
from keras import layers

if TYPE_CHECKING:  # the settings import this module (shape_problem)
    from dl_pipelines.pipelines.gan.settings import GanModel

# The generator upsamples twice by 2 (course: 7x7 -> 14x14 -> 28x28), so image sides must be
# divisible by 4; digits start from 2x2 (-> 4x4 -> 8x8).
UPSAMPLING = 4


def shape_problem(input_shape: tuple[int, ...], images: str = "images") -> str | None:
    """One line saying why the DCGAN cannot take ``images`` of ``input_shape``, or None."""
    shape = "x".join(str(int(side)) for side in input_shape)
    if len(input_shape) != 3 or input_shape[0] % UPSAMPLING or input_shape[1] % UPSAMPLING:
        return (f"The gan app cannot take the {shape} {images}: the DCGAN generator upsamples "
                f"by {UPSAMPLING}, so it needs (height, width, channels) images with sides "
                f"divisible by {UPSAMPLING}; use gan.dataset digits, mnist or fashion_mnist.")
    return None


def build_generator(image_shape: tuple[int, int, int], noise_size: int = 100,
                    filters: int = 256) -> keras.Model:
    """The course's generator, adapted to the image size.

    Dense (H/4)(W/4)F without bias -> batch norm -> LeakyReLU -> reshape -> Conv2DTranspose F/2
    (5x5, stride 1) -> F/4 (stride 2) -> channels (stride 2, tanh). With ``filters=256`` and 28x28
    images this is exactly the course's 7*7*256 -> 128 -> 64 -> 1 network.
    """
    height, width, channels = (int(side) for side in image_shape)
    start = (height // UPSAMPLING, width // UPSAMPLING)
    noise = keras.Input(shape=(noise_size,), name="noise")
    x = layers.Dense(start[0] * start[1] * filters, use_bias=False, name="project")(noise)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.LeakyReLU(name="project_relu")(x)
    x = layers.Reshape((*start, filters), name="to_feature_map")(x)
    for index, (depth, stride) in enumerate(((filters // 2, 1), (filters // 4, 2))):
        x = layers.Conv2DTranspose(depth, 5, strides=stride, padding="same", use_bias=False,
                                   name=f"up_{index}")(x)
        x = layers.BatchNormalization(name=f"up_{index}_bn")(x)
        x = layers.LeakyReLU(name=f"up_{index}_relu")(x)
    # tanh: pixels in [-1, 1], the scale the real images are given.
    image = layers.Conv2DTranspose(channels, 5, strides=2, padding="same", use_bias=False,
                                   activation="tanh", name="image", dtype="float32")(x)
    return keras.Model(noise, image, name="generator")


def build_discriminator(image_shape: tuple[int, int, int], filters: int = 64,
                        dropout: float = 0.3) -> keras.Model:
    """The course's discriminator: Conv2D F -> 2F (5x5, stride 2, LeakyReLU, dropout) -> one
    logit (no sigmoid: the loss is binary cross-entropy on logits)."""
    image = keras.Input(shape=tuple(int(side) for side in image_shape), name="image")
    x = image
    for index, depth in enumerate((filters, 2 * filters)):
        x = layers.Conv2D(depth, 5, strides=2, padding="same", name=f"conv_{index}")(x)
        x = layers.LeakyReLU(name=f"conv_{index}_relu")(x)
        x = layers.Dropout(dropout, name=f"conv_{index}_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    logit = layers.Dense(1, name="logit", dtype="float32")(x)
    return keras.Model(image, logit, name="discriminator")


@keras.saving.register_keras_serializable(package="dl_pipelines.gan")
class DCGAN(keras.Model):
    """A generator and a discriminator trained against each other by ``fit(real_images)``.

    Besides the two networks the model keeps, as non-trainable state, everything an interrupted
    training needs to resume exactly (BackupAndRestore saves the model's variables each epoch):
    the fixed noise of the progress grid, the grid of every finished epoch, and the per-epoch
    losses, so the GIF and the loss curves stay whole across a Ctrl-C.

    Args:
        generator: Noise (noise_size,) -> image in [-1, 1].
        discriminator: Image -> one logit ("real").
        noise_size: Length of the generator's noise vector.
        epochs: How many epochs of grids and losses to keep.
        grid_samples: Images in the fixed-noise grid.
        label_smoothing: Targets of real images are 1 - label_smoothing for the discriminator
            (one-sided label smoothing, Salimans et al. 2016); 0 is the course's plain loss.
        ema: Decay of an exponential moving average of the generator's weights, the generator the
            grids show and training returns; 0 turns it off (the course's generator).
        seed: Seeds the fixed noise and the training noise.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, noise_size: int,
                 epochs: int = 0, grid_samples: int = 16, label_smoothing: float = 0.0,
                 ema: float = 0.0, seed: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.noise_size = int(noise_size)
        self.epochs = int(epochs)
        self.grid_samples = int(grid_samples)
        self.label_smoothing = float(label_smoothing)
        self.ema = float(ema)
        self.seed = int(seed)
        self.noise_seed = keras.random.SeedGenerator(seed, name="noise_seed")
        self.average_generator = None
        if self.ema:
            self.average_generator = keras.models.clone_model(generator)
            self.average_generator.set_weights(generator.get_weights())
        fixed = np.random.default_rng(seed).normal(size=(grid_samples, noise_size))
        self.fixed_noise = self.add_weight(shape=fixed.shape, name="fixed_noise", trainable=False,
                                           initializer=keras.initializers.Constant(fixed))
        image_shape = tuple(int(side) for side in generator.output.shape[1:])
        # Slot 0 holds the grid before training, slot e the grid after epoch e.
        self.epoch_grids = self.add_weight(shape=(self.epochs + 1, grid_samples, *image_shape),
                                           name="epoch_grids", trainable=False, initializer="zeros")
        self.epoch_losses = self.add_weight(shape=(max(self.epochs, 1), 2), name="epoch_losses",
                                            trainable=False, initializer="zeros")
        self.epochs_done = self.add_weight(shape=(), name="epochs_done", dtype="int32",
                                           trainable=False, initializer="zeros")
        self.generator_loss_tracker = keras.metrics.Mean(name="generator_loss")
        self.discriminator_loss_tracker = keras.metrics.Mean(name="discriminator_loss")
        self.built = True  # both networks are built; BackupAndRestore needs a built model

    @property
    def sampler(self) -> keras.Model:
        """The generator to sample from: the weight average when ``ema`` is on."""
        return self.average_generator or self.generator

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        # Listed here so Keras resets them at the start of each epoch.
        return [self.generator_loss_tracker, self.discriminator_loss_tracker]

    def compile(self, generator_optimizer: keras.optimizers.Optimizer,
                discriminator_optimizer: keras.optimizers.Optimizer, **kwargs: Any) -> None:
        # Built now, each on its own player's variables, so BackupAndRestore restores the Adam
        # moments with the weights on resume.
        generator_optimizer.build(self.generator.trainable_variables)
        discriminator_optimizer.build(self.discriminator.trainable_variables)
        # Keras' own `optimizer` slot gets the (built) generator optimizer: left empty, compile()
        # would add an unused RMSprop that fit() builds on both players' variables.
        super().compile(optimizer=generator_optimizer, **kwargs)
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def train_step(self, real_images: tf.Tensor) -> dict[str, tf.Tensor]:
        """One step of the course's two-player game on a batch of real images in [-1, 1]."""
        if isinstance(real_images, tuple):  # fit(x, None) hands over (x,)
            real_images = real_images[0]
        batch_size = tf.shape(real_images)[0]
        noise = keras.random.normal((batch_size, self.noise_size), seed=self.noise_seed)
        with tf.GradientTape() as generator_tape, tf.GradientTape() as discriminator_tape:
            fakes = self.generator(noise, training=True)
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fakes, training=True)
            # The generator wins when its fakes are called real; the discriminator when it
            # tells real (target 1, or 1 - smoothing) from fake (target 0).
            generator_loss = self.loss_fn(tf.ones_like(fake_logits), fake_logits)
            real_targets = tf.ones_like(real_logits) * (1.0 - self.label_smoothing)
            discriminator_loss = (self.loss_fn(real_targets, real_logits)
                                  + self.loss_fn(tf.zeros_like(fake_logits), fake_logits))
            # Under a distribution strategy the optimisers sum the replicas' gradients: each
            # replica brings its share (Keras does this for compiled losses, not a custom step).
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            generator_share = generator_loss / replicas
            discriminator_share = discriminator_loss / replicas
        self.generator_optimizer.apply_gradients(zip(
            generator_tape.gradient(generator_share, self.generator.trainable_variables),
            self.generator.trainable_variables, strict=True))
        self.discriminator_optimizer.apply_gradients(zip(
            discriminator_tape.gradient(discriminator_share, self.discriminator.trainable_variables),
            self.discriminator.trainable_variables, strict=True))
        if self.average_generator is not None:
            for average, current in zip(self.average_generator.weights, self.generator.weights,
                                        strict=True):
                average.assign(self.ema * average + (1.0 - self.ema) * current)
        self.generator_loss_tracker.update_state(generator_loss)
        self.discriminator_loss_tracker.update_state(discriminator_loss)
        return {metric.name: metric.result() for metric in self.metrics}

    def record_grid(self, slot: int) -> None:
        """Keep the fixed-noise grid in slot ``slot`` (0: before training, e: after epoch e)."""
        # Called eagerly from a callback: plain NumPy updates are clearest.
        grids = keras.ops.convert_to_numpy(self.epoch_grids)
        grids[slot] = keras.ops.convert_to_numpy(self.sampler(self.fixed_noise, training=False))
        self.epoch_grids.assign(grids)

    def record_epoch(self, epoch: int, logs: Mapping[str, float]) -> None:
        """Keep the fixed-noise grid and the losses of a finished epoch in the model's state."""
        if epoch >= self.epochs:
            return
        self.record_grid(epoch + 1)
        losses = keras.ops.convert_to_numpy(self.epoch_losses)
        losses[epoch] = [float(logs.get("generator_loss", np.nan)),
                         float(logs.get("discriminator_loss", np.nan))]
        self.epoch_losses.assign(losses)
        self.epochs_done.assign(epoch + 1)

    def fit(self, *args: Any, callbacks: list[keras.callbacks.Callback] | None = None,
            **kwargs: Any) -> keras.callbacks.History:
        # The grid recorder goes first, so the epoch-end backup of the shared BackupAndRestore
        # callback already holds this epoch's grid and losses.
        return super().fit(*args, callbacks=[EpochGridRecorder(), *(callbacks or [])], **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "noise_size": self.noise_size, "epochs": self.epochs,
            "grid_samples": self.grid_samples, "label_smoothing": self.label_smoothing,
            "ema": self.ema, "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DCGAN:
        config = dict(config)
        for part in ("generator", "discriminator"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)


class EpochGridRecorder(keras.callbacks.Callback):
    """Renders the fixed-noise grid at the end of every epoch into the DCGAN's state, where
    BackupAndRestore keeps it across an interruption and the training node reads it."""

    def on_train_begin(self, logs: Mapping[str, float] | None = None) -> None:
        # The untrained generator's grid opens the GIF; a resumed run gets its grids restored
        # by BackupAndRestore, which runs after this.
        if int(self.model.epochs_done.numpy()) == 0:
            self.model.record_grid(0)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        self.model.record_epoch(epoch, logs or {})


def build_dcgan(image_shape: tuple[int, int, int], model: GanModel, *, epochs: int,
                grid_samples: int, seed: int) -> DCGAN:
    """The DCGAN the ``gan.model`` settings describe, for images of ``image_shape``."""
    generator = build_generator(image_shape, model.noise_size, model.generator_filters)
    discriminator = build_discriminator(image_shape, model.discriminator_filters, model.dropout)
    return DCGAN(generator, discriminator, model.noise_size, epochs=epochs,
                 grid_samples=grid_samples, label_smoothing=model.label_smoothing,
                 ema=model.generator_ema, seed=seed, name="dcgan")
