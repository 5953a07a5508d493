"""Figures of the language_model app: the learning curves."""

from __future__ import annotations

from matplotlib.figure import Figure

from dl_pipelines.core import plotting


def plot_learning_curves(history: dict[str, list[float]]) -> Figure:
    """Training against validation cross-entropy (nats per token) and its perplexity or bits per
    character, by epoch."""
    return plotting.learning_curves(history, title="language_model: learning curves")
