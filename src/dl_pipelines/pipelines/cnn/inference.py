"""The cnn app's inference: the last trained model classifies the user's image files."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pandas as pd
from fsspec.core import OpenFile

from dl_pipelines.core.images import read_images

logger = logging.getLogger(__name__)


def classify_images(images: list[OpenFile], model: keras.Model, class_names: list[str]) -> pd.DataFrame:
    """Classify the user's image files (``cnn.new_inputs``) with the last trained model, each made
    the size and channels of the images it learned from.

    Returns:
        One row per file, in name order: ``file``, ``predicted_class`` (its name),
        ``class_index`` and ``probability``.
    """
    batch = read_images(images, model.input_shape[1:], "cnn.new_inputs (data/01_raw/inference/cnn/)")
    probabilities = model.predict(batch, batch_size=256, verbose=0)
    predicted = probabilities.argmax(axis=1)
    table = pd.DataFrame({"file": [file.path.rsplit("/", 1)[-1] for file in images],
                          "predicted_class": np.asarray(class_names)[predicted], "class_index": predicted,
                          "probability": probabilities.max(axis=1).round(4)})
    counts = table["predicted_class"].value_counts()
    logger.info("Classified %d images: %s", len(table),
                ", ".join(f"{name} x{count}" for name, count in counts.items()))
    return table
