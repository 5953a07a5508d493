"""The hopfield app's inference: the last stored network recalls the user's bitmaps (image files),
and says which stored pattern each one settles on."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from fsspec.core import OpenFile
from matplotlib.figure import Figure

from dl_pipelines.core import plotting
from dl_pipelines.core.images import read_images
from dl_pipelines.core.user_files import inputs_folder
from dl_pipelines.pipelines.hopfield.models import recall, softmax_recall
from dl_pipelines.pipelines.hopfield.settings import RecallSettings
from dl_pipelines.pipelines.hopfield.transforms import to_images

logger = logging.getLogger(__name__)

SHOWN = 16  # images in the figure


def on_pixels(images: np.ndarray, dataset: str, threshold: float) -> np.ndarray:
    """Grey images (N, H, W, 1) as +-1 states, cut at ``threshold`` of full brightness: a pixel is on
    where it is dark (ink on paper, as the letters are drawn), or bright for the digit datasets
    (light strokes on black, as their images, binarised at the same threshold when stored)."""
    bright = images[..., 0].reshape(len(images), -1) > threshold * 255
    return np.where(bright if dataset in ("digits", "mnist") else ~bright, 1, -1).astype(np.float64)


def recall_files(new_inputs: list[OpenFile], network: dict[str, np.ndarray],
                 model_input: dict[str, np.ndarray], threshold: float, recall_settings: RecallSettings,
                 seed: int) -> tuple[pd.DataFrame, Figure]:
    """Recall each image file of ``hopfield.new_inputs`` (any size: made the stored patterns' size)
    with the stored network.

    Returns:
        One row per file, in name order: ``file``, ``recalled`` (the stored pattern the state
        settled on exactly, else empty), ``closest`` (the stored pattern of highest overlap) and
        ``overlap`` with it, ``pixels_changed`` by recall; and the files above their recalled states.
    """
    shape = tuple(int(side) for side in model_input["shape"])
    images = read_images(new_inputs, (*shape, 1), inputs_folder("hopfield"))
    states = on_pixels(images, str(model_input["dataset"]), threshold)
    rule, weights = str(network["rule"]), network["weights"].astype(np.float64)
    if rule == "modern":
        recalled = softmax_recall(weights, states, float(network["beta"]), recall_settings.modern_steps)
    else:
        recalled, _ = recall(weights, states, recall_settings.update, recall_settings.max_steps,
                             np.random.default_rng(seed))
    patterns, names = model_input["patterns"].astype(np.float64), model_input["names"].astype(str)
    similarity = recalled @ patterns.T / patterns.shape[1]  # (files, stored patterns)
    closest = similarity.argmax(axis=1)
    best = similarity[np.arange(len(recalled)), closest]
    table = pd.DataFrame({
        "file": [file.path.rsplit("/", 1)[-1] for file in new_inputs],
        "recalled": np.where(np.isclose(best, 1.0), names[closest], ""),
        "closest": names[closest], "overlap": best.round(4),
        "pixels_changed": (recalled != states).sum(axis=1)})
    logger.info("Recalled %d images: %d settled on a stored pattern exactly", len(table),
                int((table["recalled"] != "").sum()))
    captions = [f"{file}\n{name or '-'}"
                for file, name in zip(table["file"], table["recalled"], strict=True)]
    figure = plotting.image_rows(
        {"your image": to_images(states[:SHOWN], shape), "recalled": to_images(recalled[:SHOWN], shape)},
        captions[:SHOWN], title=f"Your bitmaps and what the {rule} network recalls")
    return table, figure
