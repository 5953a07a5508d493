"""Figures of the lstm app: forecasts against the series, the test span, the extrapolation and
the learning curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dl_pipelines.core import plotting
from dl_pipelines.pipelines.lstm.metrics import naive_mae


def _time_axis(model_input: dict[str, np.ndarray]) -> np.ndarray:
    """Dates for a dated series, row numbers otherwise."""
    if str(model_input["time_kind"]) == "date":
        return pd.to_datetime(model_input["time"]).to_numpy()
    return np.arange(len(model_input["series"]))


def _panels(model_input: dict[str, np.ndarray], title: str) -> tuple[Figure, list]:
    """One panel per series (at most four), sharing the time axis."""
    count = min(len(model_input["columns"]), 4)
    fig = Figure(figsize=(12, 3.2 * count + 0.6), layout="constrained")
    axes = list(fig.subplots(count, 1, squeeze=False, sharex=True)[:, 0])
    fig.suptitle(title)
    for ax, name in zip(axes, model_input["columns"], strict=False):
        ax.set_ylabel(str(name))
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("date" if str(model_input["time_kind"]) == "date" else "step")
    return fig, axes


def plot_forecast_overview(forecasts: dict[str, np.ndarray], model_input: dict[str, np.ndarray]) -> Figure:
    """The whole series (history and truth) with the one-step forecasts of every part and the
    train / validation / test boundaries."""
    time = _time_axis(model_input)
    fig, axes = _panels(model_input, f"lstm: {model_input['dataset']}, one-step forecasts")
    train, validation, _ = (int(n) for n in model_input["split"])
    for index, ax in enumerate(axes):
        ax.plot(time, model_input["series"][:, index], color="0.6", lw=0.8, label="series")
        for part, color in (("train", "tab:blue"), ("val", "tab:orange"), ("test", "tab:red")):
            rows = model_input[f"t_{part}"]
            ax.plot(time[rows], forecasts[f"pred_{part}"][:, 0, index], color=color, lw=0.8,
                    label=f"forecast ({'validation' if part == 'val' else part})")
        for boundary in (train, train + validation):
            ax.axvline(time[boundary], color="k", ls="--", lw=0.8)
        ax.legend(loc="upper left", fontsize=8)
    return fig


def plot_test_span(forecasts: dict[str, np.ndarray], baselines: dict[str, np.ndarray],
                   model_input: dict[str, np.ndarray]) -> Figure:
    """The test span alone: truth, the one-step forecast and the baselines', each with its MASE."""
    time = _time_axis(model_input)
    rows = model_input["t_test"]
    truth = model_input["y_test"][:, 0]
    scale = naive_mae(model_input["series"][:int(model_input["split"][0])])
    season = int(model_input["season"])
    fig, axes = _panels(model_input, "lstm: test span, one step ahead (MASE in the legend)")
    lines = [(forecasts["pred_test"][:, 0], "forecast", "tab:red", "-"),
             (baselines["persistence_test"], "persistence (last value)", "tab:green", ":"),
             (baselines["seasonal_naive_test"], f"seasonal naive ({season} back)", "tab:olive", "--"),
             (baselines["ets_test"], None, "tab:blue", "-.")]  # labelled with each series' ETS model
    for index, ax in enumerate(axes):
        ax.plot(time[rows], truth[:, index], color="k", lw=1, label="truth")
        for predicted, label, color, style in (lines if season > 1 else [lines[0], lines[1], lines[3]]):
            mase = np.mean(np.abs(predicted[:, index] - truth[:, index])) / scale[index]
            ax.plot(time[rows], predicted[:, index], color=color, lw=1 if style == "-" else 0.8, ls=style,
                    label=f"{label or baselines['ets_models'][index]}: {mase:.3f}")
        ax.legend(loc="upper left", fontsize=8)
    return fig


def plot_extrapolation(forecasts: dict[str, np.ndarray], model_input: dict[str, np.ndarray]) -> Figure:
    """Recursive extrapolation from the start of the test span against what happened."""
    time = _time_axis(model_input)
    series = model_input["series"]
    start = int(forecasts["extrapolation_start"])
    steps = len(forecasts["extrapolation"])
    context = max(0, start - 2 * model_input["x_test"].shape[1] - steps)
    shown = min(start + steps, len(series))
    fig, axes = _panels(model_input, f"lstm: recursive extrapolation, {steps} steps fed back")
    for index, ax in enumerate(axes):
        ax.plot(time[context:start], series[context:start, index], color="k", lw=1, label="history")
        ax.plot(time[start:shown], series[start:shown, index], color="0.5", lw=1, label="truth")
        ax.plot(time[start:shown], forecasts["extrapolation"][:shown - start, index], color="tab:purple",
                lw=1.2, label="extrapolation")
        ax.axvline(time[start], color="k", ls="--", lw=0.8)
        ax.legend(loc="upper left", fontsize=8)
    return fig


def plot_learning_curves(history: dict[str, list[float]]) -> Figure:
    """Training against validation loss (MSE of the scaled series) and MAE by epoch."""
    return plotting.learning_curves(history, title="lstm: learning curves (scaled units)")
