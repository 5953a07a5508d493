"""The gan app's inference: the last trained generator draws new images."""

from __future__ import annotations

import logging

import keras
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from dl_pipelines.core import plotting
from dl_pipelines.pipelines.gan.settings import InferenceSettings
from dl_pipelines.pipelines.gan.transforms import as_image, generate

logger = logging.getLogger(__name__)


def generate_samples(generator: keras.Model, inference: InferenceSettings
                     ) -> tuple[dict[str, Image.Image], Figure]:
    """``gan.inference.samples`` images from the standard-normal noise of ``gan.inference.seed``
    (the same seed, the same images).

    Returns:
        The images as PNG files ``sample_0000`` ... (``gan.samples``), and a grid of them.
    """
    noise = np.random.default_rng(inference.seed).normal(size=(inference.samples, generator.input_shape[-1]))
    images = generate(generator, noise)
    logger.info("Generated %d images (seed %d)", len(images), inference.seed)
    files = {f"sample_{index:04d}": as_image(image) for index, image in enumerate(images)}
    return files, plotting.image_grid(images[..., 0] if images.shape[-1] == 1 else images, ncols=8,
                                      title=f"{len(images)} generated images (seed {inference.seed})")
