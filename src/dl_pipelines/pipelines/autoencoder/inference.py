"""The autoencoder app's inference: the last trained encoder and decoder compress the user's image
files, rebuild them, and score how well each is rebuilt (a high error flags an unusual image)."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pandas as pd
from fsspec.core import OpenFile
from matplotlib.figure import Figure

from dl_pipelines.core import plotting
from dl_pipelines.core.images import read_images
from dl_pipelines.core.user_files import inputs_folder
from dl_pipelines.pipelines.autoencoder.nodes import to_unit

logger = logging.getLogger(__name__)

SHOWN = 16  # images in the figure


def encode_images(new_inputs: list[OpenFile], encoder: keras.Model, decoder: keras.Model
                  ) -> tuple[pd.DataFrame, Figure]:
    """Codes, reconstructions and the reconstruction error of the user's image files
    (``autoencoder.new_inputs``), each made the size and channels of the training images.

    Returns:
        One row per file, in name order: ``file``, ``reconstruction_mse`` (per pixel, on [0, 1]
        pixels), ``code_0`` ... ``code_<k-1>``; and the first files above their reconstructions.
    """
    images = read_images(new_inputs, encoder.input_shape[1:],
                         inputs_folder("autoencoder"))
    codes = encoder.predict(images, batch_size=1024, verbose=0)
    reconstructions = decoder.predict(codes, batch_size=1024, verbose=0).reshape(images.shape)
    errors = np.mean((to_unit(images) - reconstructions) ** 2, axis=(1, 2, 3))
    names = [file.path.rsplit("/", 1)[-1] for file in new_inputs]
    table = pd.DataFrame({"file": names, "reconstruction_mse": errors.round(6)})
    table[[f"code_{i}" for i in range(codes.shape[1])]] = codes
    logger.info("Encoded %d images; reconstruction MSE %.4f (median), %.4f (max, %s)", len(table),
                np.median(errors), errors.max(), names[int(errors.argmax())])
    captions = [f"{name}\n{error:.4f}" for name, error in zip(names, errors, strict=True)]
    figure = plotting.image_rows({"your image": images[:SHOWN], "reconstruction": reconstructions[:SHOWN]},
                                 captions[:SHOWN],
                                 title="Your images and their reconstructions (reconstruction MSE)")
    return table, figure
