"""Figures of the regression app: learning curves, predicted against actual, residuals, the w and b paths."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import r2_score

from dl_pipelines.core import plotting
from dl_pipelines.pipelines.regression.metrics import baseline_model
from dl_pipelines.pipelines.regression.sources import TOY_B, TOY_W


def plot_learning_curves(history: dict[str, list[float]]) -> Figure:
    """Training against validation loss (MSE) and mean absolute error by epoch."""
    curves = {k: v for k, v in history.items() if k.removeprefix("val_") in ("loss", "mae")}
    return plotting.learning_curves(curves, title="regression: learning curves")


def plot_predicted_vs_actual(predictions: dict[str, np.ndarray]) -> Figure:
    """Predicted against true test targets, for the network and the least-squares baseline."""
    y_true = predictions["y_true"]
    fig = Figure(figsize=(6, 5.5), layout="constrained")
    ax = fig.subplots()
    ax.scatter(y_true, predictions["baseline_pred"], s=14, alpha=0.5, label="least squares")
    ax.scatter(y_true, predictions["y_pred"], s=14, alpha=0.7, label="network")
    low, high = float(np.min(y_true)), float(np.max(y_true))
    ax.plot([low, high], [low, high], color="black", linewidth=1, label="perfect prediction")
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.set_title(f"Test set: predicted vs actual (R2 {r2_score(y_true, predictions['y_pred']):.3f})")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def plot_residuals(predictions: dict[str, np.ndarray]) -> Figure:
    """Residuals (actual - predicted) of the network against its predictions, and their spread."""
    residuals = predictions["y_true"] - predictions["y_pred"]
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    scatter, histogram = fig.subplots(1, 2)
    scatter.scatter(predictions["y_pred"], residuals, s=14, alpha=0.7)
    scatter.axhline(0, color="black", linewidth=1)
    scatter.set_xlabel("predicted")
    scatter.set_ylabel("actual - predicted")
    scatter.set_title("Residuals against predictions")
    histogram.hist(residuals, bins=min(30, max(5, len(residuals) // 5)))
    histogram.axvline(0, color="black", linewidth=1)
    histogram.set_xlabel("actual - predicted")
    histogram.set_ylabel("test rows")
    histogram.set_title("Distribution of the residuals")
    for ax in (scatter, histogram):
        ax.grid(alpha=0.3)
    return fig


def plot_weight_paths(gradient_tape_fit: dict[str, np.ndarray], history: dict[str, list[float]],
                      model_input: dict[str, np.ndarray]) -> Figure:
    """The path of w and b over the epochs, against their target values.

    The target is the truth (w = 2, b = -1) for linear_toy, and otherwise the least-squares
    solution on the same transformed features, which gradient descent converges to. The Keras
    path is drawn where the network is a one-feature linear model.
    """
    toy = str(model_input["dataset"]) == "linear_toy"
    if toy:
        target_w, target_b, target = np.array([TOY_W]), TOY_B, "truth"
    else:
        baseline = baseline_model(model_input)
        target_w, target_b, target = baseline.coef_, float(baseline.intercept_), "least squares"
    names = [str(n) for n in model_input["feature_names"]]
    fig = Figure(figsize=(15, 4.5), layout="constrained")
    ax_w, ax_b, ax_loss = fig.subplots(1, 3)
    epochs = np.arange(len(gradient_tape_fit["b"]))
    colors = [f"C{i % 10}" for i in range(len(names))]
    for index, name in enumerate(names):
        label = "gradient tape" if len(names) == 1 else name
        ax_w.plot(epochs, gradient_tape_fit["w"][:, index], color=colors[index], label=label)
        ax_w.axhline(target_w[index], color=colors[index], linestyle=":", linewidth=1)
    ax_b.plot(epochs, gradient_tape_fit["b"], label="gradient tape")
    if "w" in history:  # recorded by the one-feature linear Keras model, after each epoch
        keras_epochs = np.arange(1, len(history["w"]) + 1)
        ax_w.plot(keras_epochs, history["w"], linestyle="--", color="C3", label="Keras fit()")
        ax_b.plot(keras_epochs, history["b"], linestyle="--", color="C3", label="Keras fit()")
    ax_b.axhline(target_b, color="black", linestyle=":", linewidth=1, label=target)
    ax_w.plot([], [], color="black", linestyle=":", linewidth=1, label=target)
    ax_loss.plot(epochs, gradient_tape_fit["loss"], label="gradient tape")
    if "w" in history:
        ax_loss.plot(np.arange(1, len(history["loss"]) + 1), history["loss"], linestyle="--",
                     color="C3", label="Keras fit()")
    ax_loss.set_yscale("log")
    for ax, name in ((ax_w, "w"), (ax_b, "b"), (ax_loss, "training MSE")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        if len(names) <= 12 or ax is not ax_w:
            ax.legend(fontsize=8)
    learned = ", ".join(f"{v:.3f}" for v in gradient_tape_fit["w"][-1][:3])
    fig.suptitle(f"Linear fit by gradient descent: w = [{learned}{'...' if len(names) > 3 else ''}]"
                 f", b = {gradient_tape_fit['b'][-1]:.3f} (dotted: {target})")
    return fig
