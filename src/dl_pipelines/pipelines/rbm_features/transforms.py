"""The images as the RBM sees them."""

from __future__ import annotations

import numpy as np


def visible_units(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W, C) as visible vectors (N, H*W*C): each grey value in [0, 1] read as
    the probability that its pixel is on, as Hinton's MNIST RBMs read them."""
    return np.asarray(images, dtype=np.float32).reshape(len(images), -1) / 255


def as_images(visible: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Visible vectors back as images of ``shape`` (H, W, C), values in [0, 1]."""
    return np.asarray(visible).reshape(-1, *shape)
