"""Figures of the classification app: learning curves, the confusion matrix, the decision
boundary of two-feature data, and the accuracy of each fold of the cross-validation."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from sklearn.compose import ColumnTransformer

from dl_pipelines.core import plotting
from dl_pipelines.core.table_serving import class_probabilities, network_outputs
from dl_pipelines.core.tables import column_kinds
from dl_pipelines.pipelines.classification.settings import DataSettings


def plot_learning_curves(history: dict[str, list[float]]) -> Figure:
    """Training against validation loss (cross-entropy) and accuracy by epoch."""
    return plotting.learning_curves(history, title="classification: learning curves")


def plot_decision_boundary(model: keras.Model, transform: ColumnTransformer, test_rows: pd.DataFrame,
                           model_input: dict[str, np.ndarray], data: DataSettings) -> Figure:
    """The class the model predicts over the plane of two numeric features (XOR: the two inputs),
    the 0.5 line of a two-class model, and the test rows coloured by their true class. Other data
    gets a figure that says why there is no plane to draw."""
    numeric, categorical = column_kinds(transform)
    fig = Figure(figsize=(6, 5.5), layout="constrained")
    ax = fig.subplots()
    if len(numeric) != 2 or categorical:
        ax.axis("off")
        ax.text(0.5, 0.5, f"A decision boundary is drawn for two numeric features;\nthis model has "
                f"{len(numeric) + len(categorical)} features.", ha="center", va="center")
        return fig
    names = [str(name) for name in model_input["class_names"]]
    low, high = test_rows[numeric].min().to_numpy(), test_rows[numeric].max().to_numpy()
    margin = np.maximum((high - low) * 0.25, 0.5)
    axes = [np.linspace(lo - m, hi + m, 200) for lo, hi, m in zip(low, high, margin, strict=True)]
    a, b = np.meshgrid(*axes)
    grid = pd.DataFrame({numeric[0]: a.ravel(), numeric[1]: b.ravel()})
    probabilities = class_probabilities(network_outputs(model, transform, grid))
    regions = probabilities.argmax(axis=1).reshape(a.shape)
    ax.contourf(a, b, regions, levels=np.arange(len(names) + 1) - 0.5, cmap="coolwarm", alpha=0.35)
    if len(names) == 2:
        ax.contour(a, b, probabilities[:, 1].reshape(a.shape), levels=[0.5], colors="black", linewidths=1)
    colors = colormaps["coolwarm"](np.linspace(0, 1, len(names)))  # the regions' colours
    for index, name in enumerate(names):
        shown = test_rows[test_rows[data.target].astype(str) == name]
        ax.scatter(shown[numeric[0]], shown[numeric[1]], s=60, edgecolor="black",
                   label=f"{data.target} = {name}", color=colors[index])
    ax.set_xlabel(numeric[0])
    ax.set_ylabel(numeric[1])
    ax.set_title("Decision boundary and the test rows")
    ax.legend()
    return fig


def plot_cross_validation(report: pd.DataFrame) -> Figure:
    """Held-out accuracy of each fold, for the network and the logistic baseline, with their means."""
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    for column, label, color in (("accuracy", "network", "C0"),
                                 ("baseline_accuracy", "logistic baseline", "C1")):
        values = report[column].to_numpy()
        ax.plot(report["fold"], values, "o-", color=color,
                label=f"{label}: {values.mean():.3f} ± {values.std():.3f}")
        ax.axhline(values.mean(), color=color, linestyle=":", linewidth=1)
    ax.set_xticks(report["fold"])
    ax.set_xlabel("fold")
    ax.set_ylabel("accuracy on the held-out fold")
    ax.set_title(f"Stratified {len(report)}-fold cross-validation")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig
