"""Figures of the hopfield app: stored, corrupted and recalled patterns; the energy at each step
of recall; the capacity experiment against the theory."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dl_pipelines.core import plotting
from dl_pipelines.pipelines.hopfield.metrics import LEVEL, theory
from dl_pipelines.pipelines.hopfield.settings import CapacitySettings, EvaluationSettings
from dl_pipelines.pipelines.hopfield.transforms import to_images

COLORS = {"hebbian": "C0", "storkey": "C1", "modern": "C2"}


def plot_recall(predictions: dict[str, np.ndarray], model_input: dict[str, np.ndarray],
                evaluation: EvaluationSettings) -> Figure:
    """The first stored patterns (``hopfield.evaluation.patterns_to_show``) above their corrupted
    copies and what the network recalled from them; each column says whether recall was exact."""
    shown = slice(0, evaluation.patterns_to_show)
    shape = tuple(model_input["shape"])
    patterns, recalled = model_input["patterns"][shown], predictions["recalled"][shown]
    rows = {"stored": to_images(patterns, shape),
            "corrupted": to_images(predictions["corrupted"][shown], shape),
            "recalled": to_images(recalled, shape)}
    exact = np.all(patterns == recalled, axis=1)
    titles = [f"{name} {'ok' if ok else 'x'}"
              for name, ok in zip(model_input["names"][shown], exact, strict=True)]
    total = np.all(model_input["patterns"] == predictions["recalled"], axis=1)
    return plotting.image_rows(rows, titles, title=(
        f"{model_input['dataset']}: {total.sum()} of {len(total)} patterns recalled exactly "
        f"({predictions['rule']}, {float(predictions['corruption']):.0%} of the pixels flipped)"))


def plot_energy(predictions: dict[str, np.ndarray], model_input: dict[str, np.ndarray],
                evaluation: EvaluationSettings) -> Figure:
    """The energy ``-1/2 s^T W s`` of each shown pattern's state at every step of recall (step 0:
    the corrupted copy) and of the stored pattern itself (dotted)."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    energies = predictions["energies"]
    if not energies.size:
        ax.axis("off")
        ax.text(0.5, 0.5, "The modern network recalls in one softmax step;\nits energy is not "
                "-1/2 s^T W s.", ha="center", va="center")
        return fig
    steps = np.arange(len(energies))
    for index in range(min(evaluation.patterns_to_show, energies.shape[1])):
        color = f"C{index % 10}"
        ax.plot(steps, energies[:, index], "o-", color=color, label=str(model_input["names"][index]))
        ax.axhline(predictions["stored_energies"][index], color=color, ls=":", lw=1)
    ax.set(xlabel=f"step ({predictions['update']} update of every unit)", ylabel="energy",
           title="Energy during recall (dotted: the stored pattern)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncols=2)
    return fig


def plot_capacity(report: pd.DataFrame, capacity: CapacitySettings) -> Figure:
    """The fraction of patterns recalled exactly and the mean overlap after recall against the
    load P / N of every rule (log scale), with the theory's loads."""
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True)
    for rule, rows in report.groupby("rule", sort=False):
        rows = rows.sort_values("load")
        for ax, column in zip(axes, ("exact_recall", "mean_overlap"), strict=True):
            ax.plot(rows["load"], rows[column], "o-", ms=3, color=COLORS[rule], label=rule)
    loads = theory(capacity.units)
    lines = [(axes[0], loads["hebbian_exact"], "C0", "Hebbian N / (2 ln N)"),
             (axes[0], loads["storkey_exact"], "C1", "Storkey N / sqrt(2 ln N)"),
             (axes[1], loads["hebbian_overlap"], "C0", "Hebbian 0.138 N")]
    for ax, load, color, label in lines:
        ax.axvline(load, color=color, ls="--", lw=1, label=f"theory: {label} = {load:.3f} N")
    for ax, ylabel in zip(axes, ("fraction recalled exactly", "mean overlap after recall"), strict=True):
        ax.axhline(LEVEL, color="grey", ls=":", lw=1)
        ax.set(xscale="log", xlabel="load P / N", ylabel=ylabel, ylim=(-0.05, 1.05))
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle(f"Capacity: N = {capacity.units} units, {capacity.corruption:.0%} of the pixels flipped, "
                 f"{capacity.trials} trial(s), {capacity.update} updates")
    return fig
