"""Plain-Keras twin of the gan app on its digits preset: the DCGAN of gan/models.py (noise 32, generator
filters 128, discriminator filters 32, dropout 0.3, label smoothing 0.1, generator weight average 0.99,
Adam 2e-4 beta_1 0.5 for both players, batch 32), trained 30 epochs; then the inception score of 360
samples as judged by a strided-CNN classifier trained as the app trains its judge (40 epochs, early stop 5).

    .venv/bin/python benchmarks/plain/gan.py [--epochs 30]
"""

import argparse

import keras
import numpy as np
import tensorflow as tf
from epoch_timer import EpochTimer, report
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=30)
args = parser.parse_args()
keras.utils.set_random_seed(42)
noise_size = 32

# Data: 8x8 digits (values 0..16) as uint8 images 0..255; 20% test, then 10% of the rest for validation.
digits = load_digits()
images = np.round(digits.images * (255 / 16)).astype(np.uint8)[..., None]
labels = digits.target.astype(np.uint8)
x, x_test, y, y_test = train_test_split(images, labels, test_size=0.2, stratify=labels, random_state=42)
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.1, stratify=y, random_state=42)
print(f"{len(x_train)} train, {len(x_val)} validation, {len(x_test)} test images")
real_images = x_train.astype(np.float32) / 127.5 - 1  # [-1, 1], the scale of the generator's tanh

# Generator: noise -> 2x2x128 -> 64 (stride 1) -> 32 (stride 2) -> 1 channel (stride 2, tanh): 8x8.
generator = keras.Sequential([
    keras.Input(shape=(noise_size,)),
    layers.Dense(2 * 2 * 128, use_bias=False),
    layers.BatchNormalization(),
    layers.LeakyReLU(),
    layers.Reshape((2, 2, 128)),
    layers.Conv2DTranspose(64, 5, strides=1, padding="same", use_bias=False),
    layers.BatchNormalization(),
    layers.LeakyReLU(),
    layers.Conv2DTranspose(32, 5, strides=2, padding="same", use_bias=False),
    layers.BatchNormalization(),
    layers.LeakyReLU(),
    layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
], name="generator")

# Discriminator: image -> Conv 32 -> Conv 64 (5x5, stride 2, LeakyReLU, dropout) -> one logit.
discriminator = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    layers.Conv2D(32, 5, strides=2, padding="same"),
    layers.LeakyReLU(),
    layers.Dropout(0.3),
    layers.Conv2D(64, 5, strides=2, padding="same"),
    layers.LeakyReLU(),
    layers.Dropout(0.3),
    layers.Flatten(),
    layers.Dense(1),
], name="discriminator")


class DCGAN(keras.Model):
    """The two-player game in train_step, with one-sided label smoothing and a moving average of
    the generator's weights (the generator sampled from at the end)."""

    def __init__(self, generator, discriminator, label_smoothing=0.1, ema=0.99):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator
        self.label_smoothing, self.ema = label_smoothing, ema
        self.average_generator = keras.models.clone_model(generator)
        self.average_generator.set_weights(generator.get_weights())
        self.noise_seed = keras.random.SeedGenerator(42)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.generator_loss_tracker = keras.metrics.Mean(name="generator_loss")
        self.discriminator_loss_tracker = keras.metrics.Mean(name="discriminator_loss")

    @property
    def metrics(self):
        return [self.generator_loss_tracker, self.discriminator_loss_tracker]

    def compile(self, generator_optimizer, discriminator_optimizer):
        super().compile()
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer

    def train_step(self, real_images):
        if isinstance(real_images, tuple):  # fit(x) hands over (x,)
            real_images = real_images[0]
        noise = keras.random.normal((tf.shape(real_images)[0], noise_size), seed=self.noise_seed)
        with tf.GradientTape() as generator_tape, tf.GradientTape() as discriminator_tape:
            fakes = self.generator(noise, training=True)
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fakes, training=True)
            generator_loss = self.loss_fn(tf.ones_like(fake_logits), fake_logits)
            real_targets = tf.ones_like(real_logits) * (1.0 - self.label_smoothing)
            discriminator_loss = (self.loss_fn(real_targets, real_logits)
                                  + self.loss_fn(tf.zeros_like(fake_logits), fake_logits))
        generator_variables = self.generator.trainable_variables
        discriminator_variables = self.discriminator.trainable_variables
        self.generator_optimizer.apply_gradients(
            zip(generator_tape.gradient(generator_loss, generator_variables), generator_variables))
        self.discriminator_optimizer.apply_gradients(
            zip(discriminator_tape.gradient(discriminator_loss, discriminator_variables),
                discriminator_variables))
        for average, current in zip(self.average_generator.weights, self.generator.weights):
            average.assign(self.ema * average + (1.0 - self.ema) * current)
        self.generator_loss_tracker.update_state(generator_loss)
        self.discriminator_loss_tracker.update_state(discriminator_loss)
        return {metric.name: metric.result() for metric in self.metrics}


gan = DCGAN(generator, discriminator)
gan.compile(generator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
            discriminator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
timer = EpochTimer()
gan.fit(real_images, epochs=args.epochs, batch_size=32, callbacks=[timer], verbose=2)

# As many samples as test images, from the averaged generator, as uint8 images.
noise = np.random.default_rng(42 + 3).normal(size=(len(x_test), noise_size)).astype(np.float32)
samples = keras.ops.convert_to_numpy(gan.average_generator(noise, training=False))
samples = np.clip(np.round((samples + 1) * 127.5), 0, 255).astype(np.uint8)

# The judge: a strided CNN classifier of the real digits (raw uint8 images in), early-stopped.
keras.utils.set_random_seed(42)
judge = keras.Sequential([
    keras.Input(shape=(8, 8, 1), dtype="uint8"),
    layers.Rescaling(1 / 255),
    layers.Conv2D(32, 5, strides=2, padding="same", activation="relu"),
    layers.Conv2D(32, 5, strides=2, padding="same", activation="relu"),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dense(128, activation="relu"),
    layers.Dense(10, activation="softmax"),
], name="judge")
judge.compile(optimizer=keras.optimizers.Adam(0.002), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
judge.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=40, batch_size=64, verbose=2,
          callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True, verbose=1)])


def inception_score(probabilities):
    """exp(E_x KL(p(y|x) || p(y))): 10 for confident predictions spread evenly over the digits."""
    p = np.clip(probabilities.astype(np.float64), 1e-12, 1)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1))))


score = inception_score(judge.predict(samples, batch_size=1024, verbose=0))
real_score = inception_score(judge.predict(x_test, batch_size=1024, verbose=0))
print(f"Inception score {score:.3f} (real test images {real_score:.3f})")
report("gan", len(x_train), timer.seconds, "test_inception_score", score)
