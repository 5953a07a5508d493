"""Figures of the autoencoder app: 2-D codes coloured by label."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure


def project_to_2d(codes: np.ndarray) -> tuple[np.ndarray, str]:
    """The codes themselves when they are 2-D; otherwise their first two principal axes (a 1-D
    code is spread vertically by a small jitter). Returns the points and an axis note."""
    codes = np.asarray(codes, dtype=float).reshape(len(codes), -1)
    if codes.shape[1] == 2:
        return codes, "code"
    if codes.shape[1] == 1:
        jitter = np.random.default_rng(0).uniform(-0.5, 0.5, len(codes))
        return np.column_stack([codes[:, 0], jitter]), "code (vertical: jitter)"
    centred = codes - codes.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return centred @ axes[:2].T, f"first 2 principal axes of the {codes.shape[1]}-D code"


def code_scatter(panels: Mapping[str, np.ndarray], labels: np.ndarray,
                 class_names: Sequence[str], title: str = "") -> Figure:
    """One scatter per entry of ``panels`` (codes (N, k) of the same N items), coloured by label,
    with one shared legend. Codes of more than two dimensions are shown on their first two
    principal axes."""
    fig = Figure(figsize=(5.2 * max(len(panels), 1) + 1.4, 5), layout="constrained")
    axes = fig.subplots(1, max(len(panels), 1), squeeze=False)[0]
    for ax, (name, codes) in zip(axes, panels.items(), strict=False):
        points, note = project_to_2d(codes)
        for index, class_name in enumerate(class_names):
            mine = labels == index
            ax.scatter(points[mine, 0], points[mine, 1], s=6, alpha=0.6, color=f"C{index % 10}",
                       label=str(class_name), rasterized=True)
        ax.set_title(f"{name}\n({note})", fontsize=10)
        ax.grid(alpha=0.3)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right center", markerscale=3, fontsize=8)
    fig.suptitle(title)
    return fig
