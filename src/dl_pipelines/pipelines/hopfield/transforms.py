"""Transforms of the hopfield app: bitmaps to +-1 patterns (one row of N units per pattern) and
back to images for the figures."""

from __future__ import annotations

import numpy as np

from dl_pipelines.core.errors import ConfigurationError


def to_patterns(bitmaps: np.ndarray, source: str) -> np.ndarray:
    """Bitmaps (P, H, W) of 0 and 1 as patterns (P, H * W) of -1 and +1 (int8).

    Raises:
        ConfigurationError: A bitmap holds another value (``source`` names where it comes from).
    """
    other = ~np.isin(bitmaps, (0, 1)).reshape(len(bitmaps), -1)
    if other.any():
        index = int(np.flatnonzero(other.any(axis=1))[0])
        raise ConfigurationError(f"Bitmap {index} of {source} is not binary: it holds "
                                 f"{sorted(set(np.unique(bitmaps[index]).tolist()) - {0, 1})[:5]}; "
                                 "expected 0 (off) and 1 (on) only.")
    return (2 * bitmaps.reshape(len(bitmaps), -1).astype(np.int8) - 1).astype(np.int8)


def to_images(states: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """States (P, N) of -1 and +1 as images (P, H, W) in [0, 1]: on is black, ink on paper."""
    return ((1 - np.asarray(states, dtype=np.float32)) / 2).clip(0, 1).reshape(-1, *shape)
