"""Figures of the rbm app: the training curves and the ranking metrics against the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dl_pipelines.core import plotting


def plot_training(history: dict[str, list[float]]) -> Figure:
    """Reconstruction error and free energy of the training batches, by epoch."""
    return plotting.learning_curves(history, title="rbm: contrastive divergence training")


def plot_ranking_metrics(table: pd.DataFrame) -> Figure:
    """The RBM's ranking metrics beside the most-popular baseline's, as bars."""
    names, model, baseline = table["metric"], table["rbm"], table["most_popular"]
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    positions = np.arange(len(names))
    for offset, values, label in ((-0.2, model, "RBM"), (0.2, baseline, "most popular")):
        bars = ax.bar(positions + offset, values, width=0.4, label=label)
        ax.bar_label(bars, fmt="%.3f", fontsize=8)
    ax.set_xticks(positions, labels=[name.replace("_at_", "@") for name in names])
    ax.set_ylabel("held-out ratings")
    ax.set_title("rbm: top-k recommendations against held-out ratings")
    ax.legend()
    return fig
