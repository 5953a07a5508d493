"""Image transforms of the gan app: between bytes and the generator's [-1, 1], tiles, and the
generator's samples as bytes."""

from __future__ import annotations

import keras
import numpy as np
from PIL import Image

# Grids are enlarged (nearest neighbour) to at least this many pixels across, so 8x8 digits show.
GRID_MIN_WIDTH = 256

def to_signed(images: np.ndarray) -> np.ndarray:
    """uint8 pixels 0..255 as float32 in [-1, 1], the scale of the generator's tanh."""
    return np.asarray(images, dtype=np.float32) / 127.5 - 1


def to_bytes(images: np.ndarray) -> np.ndarray:
    """Pixels in [-1, 1] back to uint8 0..255 (what the classifier and image files take)."""
    return np.clip(np.round((np.asarray(images) + 1) * 127.5), 0, 255).astype(np.uint8)


def tile(images: np.ndarray, columns: int | None = None, gap: int = 1) -> np.ndarray:
    """uint8 images (N, H, W, C) as one (rows*H, columns*W, C) grid with ``gap`` dark pixels
    between them, enlarged to at least ``GRID_MIN_WIDTH`` pixels across."""
    count, height, width, channels = images.shape
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    grid = np.zeros((rows * (height + gap) - gap, columns * (width + gap) - gap, channels), np.uint8)
    for index, image in enumerate(images):
        row, col = divmod(index, columns)
        grid[row * (height + gap): row * (height + gap) + height,
             col * (width + gap): col * (width + gap) + width] = image
    scale = max(1, int(np.ceil(GRID_MIN_WIDTH / grid.shape[1])))
    return grid.repeat(scale, axis=0).repeat(scale, axis=1)


def as_image(grid: np.ndarray) -> Image.Image:
    return Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)


def generate(generator: keras.Model, noise: np.ndarray) -> np.ndarray:
    """uint8 images from noise, in batches (a direct call: ``predict`` would retrace its graph
    for every differently sized figure row)."""
    noise = noise.astype(np.float32)
    batches = [generator(noise[i:i + 1024], training=False) for i in range(0, len(noise), 1024)]
    return to_bytes(np.concatenate([keras.ops.convert_to_numpy(b) for b in batches]))
