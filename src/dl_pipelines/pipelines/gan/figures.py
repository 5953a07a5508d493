"""Figures of the gan app: training progress, losses, the latent space, and scored samples."""

from __future__ import annotations

import io

import keras
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from dl_pipelines.core import plotting
from dl_pipelines.pipelines.gan.settings import (
    EvaluationSettings,
    SamplingSettings,
)
from dl_pipelines.pipelines.gan.transforms import as_image, generate, tile


def progress_images(progress: dict[str, np.ndarray]) -> dict[str, Image.Image]:
    """One PNG-ready image of the fixed-noise grid per epoch, named ``epoch_<e>`` (000: untrained)."""
    return {f"epoch_{int(epoch):03d}": as_image(tile(grid))
            for epoch, grid in zip(progress["epochs"], progress["grids"], strict=True)}


def progress_animation(progress: dict[str, np.ndarray], sampling: SamplingSettings) -> Image.Image:
    """The fixed-noise grids of every epoch as one animated GIF image (looping, the last frame
    held three times as long), for ``pillow.ImageDataset`` with ``save_all: true``."""
    frame_ms = sampling.gif_frame_ms
    frames = [as_image(tile(grid)) for grid in progress["grids"]]
    durations = [frame_ms] * (len(frames) - 1) + [3 * frame_ms]
    # Encoded in memory: a Pillow image holds several frames only once read from such a file.
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0)
    buffer.seek(0)
    return Image.open(buffer)


def plot_final_grid(progress: dict[str, np.ndarray], model_input: dict[str, np.ndarray]) -> Figure:
    """The last epoch's fixed-noise grid beside as many real training images."""
    grids, count = progress["grids"], progress["grids"].shape[1]
    rows = {f"generated\n(epoch {int(progress['epochs'][-1])})": grids[-1],
            "real": model_input["x_train"][:count]}
    return plotting.image_rows(rows, title=f"{model_input['dataset']}: fixed-noise samples and real images")


def plot_losses(history: dict[str, list[float]]) -> Figure:
    """Generator and discriminator loss by epoch."""
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    for name, values in history.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=name.replace("_", " "))
    if not any(history.values()):
        ax.text(0.5, 0.5, "no epochs trained", ha="center", va="center")
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("gan: losses of the two players")
    return fig


def plot_interpolation(generator: keras.Model, evaluation: EvaluationSettings, seed: int) -> Figure:
    """Rows of images along straight lines between pairs of random latent points."""
    rng = np.random.default_rng(seed + 1)
    size = generator.input_shape[-1]
    weights = np.linspace(0, 1, evaluation.interpolation_steps)[:, None]
    rows = {}
    for pair in range(evaluation.interpolation_pairs):
        start, end = rng.normal(size=(2, size))
        rows[f"pair {pair + 1}"] = generate(generator, (1 - weights) * start + weights * end)
    return plotting.image_rows(rows, [f"{w:.2f}" for w in weights[:, 0]],
                      title="Interpolation between two latent points (0: first, 1: second)")


def plot_latent_shifts(generator: keras.Model, evaluation: EvaluationSettings, seed: int
                       ) -> tuple[Figure, Figure]:
    """The same standard-normal draws shifted to other means (one row per mean), and scaled to
    other spreads (one row per standard deviation): what the generator makes of noise unlike its
    training noise N(0, 1)."""
    rng = np.random.default_rng(seed + 2)
    base = rng.normal(size=(evaluation.samples_per_row, generator.input_shape[-1]))
    means = {f"mean {m:+g}": generate(generator, base + m) for m in evaluation.latent_means}
    spreads = {f"sd {s:g}": generate(generator, base * s) for s in evaluation.latent_spreads}
    return (plotting.image_rows(means, title="Latent means shifted (sd 1; same draws in each column)"),
            plotting.image_rows(spreads, title="Latent spreads scaled (mean 0; same draws in each column)"))


def plot_samples(generated: dict[str, np.ndarray], classifier: keras.Model,
                 model_input: dict[str, np.ndarray]) -> Figure:
    """Generated images captioned with the judge's class and confidence."""
    images = generated["images"][:32]
    probabilities = classifier.predict(images, verbose=0)
    names = [str(name) for name in model_input["class_names"]]
    titles = [f"{names[p.argmax()]} ({p.max():.0%})" for p in probabilities]
    return plotting.image_grid(images, titles, title="Generated images, as the classifier reads them")
