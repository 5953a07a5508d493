"""Figures shared by the apps. Each helper returns a matplotlib ``Figure``; the catalog saves it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def learning_curves(history: Mapping[str, Sequence[float]], title: str = "Learning curves") -> Figure:
    """Training against validation value of each metric, one panel per metric, by epoch."""
    names = [name for name in history if not name.startswith("val_") and name != "learning_rate"]
    fig = Figure(figsize=(5 * max(len(names), 1), 4), layout="constrained")
    axes = fig.subplots(1, max(len(names), 1), squeeze=False)[0]
    if not names:  # zero epochs trained (e.g. a run that measures the pipeline's fixed cost)
        axes[0].text(0.5, 0.5, "no epochs trained", ha="center", va="center")
    for ax, name in zip(axes, names, strict=False):  # one spare axis when nothing was trained
        epochs = np.arange(1, len(history[name]) + 1)
        ax.plot(epochs, history[name], label=f"training {name}")
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], label=f"validation {name}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return fig


def confusion_matrix_figure(matrix: np.ndarray, class_names: Sequence[str]) -> Figure:
    """A confusion matrix with counts in each cell (rows: true class, columns: predicted)."""
    size = max(5, 0.6 * len(class_names) + 2)
    fig = Figure(figsize=(size, size), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, labels=class_names, rotation=45, ha="right")
    ax.set_yticks(ticks, labels=class_names)
    threshold = matrix.max() / 2
    for (row, col), count in np.ndenumerate(matrix):
        ax.text(col, row, str(count), ha="center", va="center",
                color="white" if count > threshold else "black", fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix (test set)")
    return fig


def image_grid(
    images: np.ndarray, titles: Sequence[str] | None = None, ncols: int = 8, title: str = ""
) -> Figure:
    """Images (N, H, W) or (N, H, W, C) in a grid, each with an optional caption above it.
    Each row of the grid is one picture (see :func:`image_rows`)."""
    images = np.asarray(images)
    ncols = min(ncols, max(len(images), 1))
    nrows = max(int(np.ceil(len(images) / ncols)), 1)
    fig = Figure(figsize=(1.6 * ncols, 1.8 * nrows + 0.4), layout="constrained")
    axes = fig.subplots(nrows, 1, squeeze=False)[:, 0]
    if not len(images):
        axes[0].axis("off")
        axes[0].text(0.5, 0.5, "nothing to show", ha="center", va="center")
    else:
        # One grey scale for every image: uint8 pixels on 0-255, others on their common range.
        low, high = (0, 255) if images.dtype == np.uint8 else (images.min(), images.max())
        for row, ax in enumerate(axes):
            shown = slice(row * ncols, (row + 1) * ncols)
            strip, centres = _side_by_side(images[shown], ncols, white=high)
            ax.imshow(strip, cmap="gray" if strip.ndim == 2 else None, vmin=low, vmax=high,
                      interpolation="nearest")
            captions = list(titles[shown]) if titles is not None else []
            _label_columns(ax, centres[:len(captions)], captions)
    fig.suptitle(title)
    return fig


def heatmap(table: pd.DataFrame, title: str, value_format: str = "{:.3f}") -> Figure:
    """A 2-D table (index: rows, columns: columns) as a coloured grid with its values written in."""
    fig = Figure(figsize=(1.4 * len(table.columns) + 2.5, 1.0 * len(table.index) + 1.8),
                 layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(table.to_numpy(dtype=float), cmap="viridis")
    fig.colorbar(image, ax=ax)
    ax.set_xticks(np.arange(len(table.columns)), labels=[str(c) for c in table.columns])
    ax.set_yticks(np.arange(len(table.index)), labels=[str(i) for i in table.index])
    ax.set_xlabel(str(table.columns.name or ""))
    ax.set_ylabel(str(table.index.name or ""))
    values = table.to_numpy(dtype=float)
    middle = np.nanmean(values)
    for (row, col), value in np.ndenumerate(values):
        ax.text(col, row, value_format.format(value), ha="center", va="center",
                color="black" if value > middle else "white")
    ax.set_title(title)
    return fig


def image_rows(rows: Mapping[str, np.ndarray], column_titles: Sequence[str] | None = None,
               title: str = "") -> Figure:
    """One labelled row per entry of ``rows`` (each (N, H, W) or (N, H, W, C)), e.g. originals
    above their reconstructions, or generated samples epoch by epoch.

    Each row is one picture of its images side by side: a figure of 100 small axes takes
    seconds to lay out and save, one of 10 rows a fraction of that.
    """
    ncols = max((len(images) for images in rows.values()), default=1) or 1
    fig = Figure(figsize=(1.2 * ncols + 1.2, 1.3 * len(rows) + 0.5), layout="constrained")
    axes = fig.subplots(max(len(rows), 1), 1, squeeze=False)[:, 0]
    for index, (ax, (label, images)) in enumerate(zip(axes, rows.items(), strict=False)):
        strip, centres = _side_by_side(np.asarray(images), ncols)
        # vmin/vmax: a reconstruction is drawn on the same grey scale as its original.
        ax.imshow(strip, cmap="gray" if strip.ndim == 2 else None, vmin=0,
                  vmax=255 if strip.dtype == np.uint8 else 1, interpolation="nearest")
        captions = list(column_titles) if column_titles is not None and index == 0 else []
        _label_columns(ax, centres[:len(captions)], captions)
        ax.set_ylabel(label, fontsize=9)
    fig.suptitle(title)
    return fig


def _side_by_side(images: np.ndarray, ncols: int, gap: int = 2, white: float | None = None
                  ) -> tuple[np.ndarray, list[float]]:
    """``ncols`` images in one array, left to right with a gap (blank where a row is short)
    of the value ``white`` (default: 255 for uint8 images, else 1), and the x-coordinate of
    each image's centre."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    height, width = images.shape[1:3]
    if white is None:
        white = 255 if images.dtype == np.uint8 else 1
    strip = np.full((height, ncols * (width + gap) - gap, *images.shape[3:]), white, images.dtype)
    for col, image in enumerate(images[:ncols]):
        strip[:, col * (width + gap):col * (width + gap) + width] = image
    return strip, [col * (width + gap) + (width - 1) / 2 for col in range(ncols)]


def _label_columns(ax, centres: Sequence[float], captions: Sequence[str]) -> None:
    """Captions above the images of a side-by-side picture; no frame, no ticks."""
    ax.set_yticks([])
    ax.set_xticks(centres, labels=captions, fontsize=8)
    ax.xaxis.set_ticks_position("top")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
