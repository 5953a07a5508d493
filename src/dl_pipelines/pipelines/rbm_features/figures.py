"""Figures of the rbm_features app: what the hidden units learned and what the model generates."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def filter_mosaic(kernel: np.ndarray, image_shape: tuple[int, ...], count: int) -> Figure:
    """The weights of the first ``count`` hidden units, each as an image of the visible layer,
    scaled to its own range (as the deeplearning.net tutorial tiles them): strokes and blobs
    when the RBM has learned, noise when it has not."""
    height, width = image_shape[:2]
    filters = kernel[:, :count].T.reshape(count, height, width, -1).mean(axis=-1)
    low = filters.min(axis=(1, 2), keepdims=True)
    filters = (filters - low) / np.maximum(filters.max(axis=(1, 2), keepdims=True) - low, 1e-8)
    columns = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    mosaic = np.ones((rows * (height + 1) - 1, columns * (width + 1) - 1))
    for index, image in enumerate(filters):
        row, col = divmod(index, columns)
        top, left = row * (height + 1), col * (width + 1)
        mosaic[top:top + height, left:left + width] = image
    fig = Figure(figsize=(max(4, columns * width / 14), max(4, rows * height / 14) + 0.4),
                 layout="constrained")
    ax = fig.subplots()
    ax.imshow(mosaic, cmap="gray", interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"Weights of the first {count} hidden units")
    return fig
