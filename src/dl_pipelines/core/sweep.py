"""Sweeps: an app's training over a grid of its settings, each combination a nested MLflow run
under the app's run, summed up in one table and one figure.

A grid names settings of the app's blocks by path (``training.learning_rate``, ``model.l2``) and
lists the values to try; every combination trains once, for ``epochs`` epochs, and is ranked by
the best value of ``monitor`` in its history. The figure overlays the learning curves of a
one-setting sweep (the course's optimizer comparison) and is a heatmap for two settings (the
course's learning-rate x L2 grid search).
"""

from __future__ import annotations

import inspect
import itertools
import logging
import typing
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from kedro.pipeline import Pipeline, node
from matplotlib.figure import Figure
from pydantic import ValidationError

from dl_pipelines.core import plotting
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import Settings, SweepSettings
from dl_pipelines.core.training import nested_run

logger = logging.getLogger(__name__)

History = dict[str, list[float]]


def combinations(grid: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the first setting varying slowest."""
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def with_changes(blocks: Mapping[str, Settings], changes: Mapping[str, Any], where: str
                 ) -> dict[str, Settings]:
    """The settings ``blocks`` with ``changes`` (``block.setting`` -> value) applied and validated;
    ``where`` is the sweep's parameter (``cnn.grid_search``), for messages.

    Raises:
        ConfigurationError: A path names no block or setting, or a value is invalid for it.
    """
    updated = dict(blocks)
    for path, value in changes.items():
        block, _, name = path.partition(".")
        if block not in blocks or name not in type(blocks[block]).model_fields:
            known = ", ".join(f"{b}.<{'|'.join(type(s).model_fields)}>" for b, s in blocks.items())
            raise ConfigurationError(f"Parameter {where}.grid names {path!r}, not a setting a sweep can "
                                     f"change; expected one of {known}.")
        try:
            updated[block] = type(updated[block]).model_validate({**updated[block].model_dump(), name: value})
        except ValidationError as error:
            problem = error.errors()[0]["msg"].removeprefix("Value error, ")
            raise ConfigurationError(f"Parameter {where}.grid.{path} holds {value!r}: {problem}.") from None
    return updated


def check_grid(grid: Mapping[str, list[Any]], blocks: Mapping[str, Settings], where: str) -> None:
    """Validate every value of the grid before any training (:func:`with_changes`)."""
    for path, values in grid.items():
        for value in values:
            with_changes(blocks, {path: value}, where)


def best(values: list[float], monitor: str) -> float:
    """The best value of a history: the lowest of a loss or an error, else the highest."""
    finite = [value for value in values if np.isfinite(value)]
    if not finite:
        return float("nan")
    return min(finite) if "loss" in monitor or "error" in monitor else max(finite)


def run_sweep(sweep: SweepSettings, blocks: Mapping[str, Settings],
              train: Callable[..., History], where: str) -> tuple[pd.DataFrame, dict[str, History]]:
    """Train once per combination of ``sweep.grid``, each in a nested MLflow run holding its
    settings and its per-epoch metrics.

    Args:
        sweep: The grid, the epochs and the monitored metric.
        blocks: The app's settings blocks the grid may change, e.g. ``{"model": ..., "training": ...}``.
        train: Trains with the blocks as keyword arguments; returns the per-epoch history.
        where: The sweep's parameter, e.g. ``cnn.grid_search`` (for messages).

    Returns:
        One row per combination (its settings, ``best_<monitor>``, ``epochs``), and each
        combination's history by its name (``training.learning_rate=0.01 model.l2=0.001``).
    """
    check_grid(sweep.grid, blocks, where)
    blocks = dict(blocks)
    if "training" in blocks and sweep.epochs is not None:
        blocks["training"] = blocks["training"].model_copy(update={"epochs": sweep.epochs})
    rows, histories = [], {}
    grid = combinations(sweep.grid)
    for index, changes in enumerate(grid, start=1):
        name = " ".join(f"{path}={value}" for path, value in changes.items())
        logger.info("Sweep %d/%d: %s", index, len(grid), name)
        with nested_run(name, changes):
            history = train(**with_changes(blocks, changes, where))
        histories[name] = history
        rows.append({**changes, f"best_{sweep.monitor}": best(history.get(sweep.monitor, []), sweep.monitor),
                     "epochs": len(next(iter(history.values()), []))})
    return pd.DataFrame(rows), histories


def plot_sweep(table: pd.DataFrame, histories: Mapping[str, History]) -> Figure:
    """One setting: every combination's monitored metric by epoch (a validation metric dashed,
    beside its training counterpart). Two settings: a heatmap of ``best_<monitor>``. More:
    ``best_<monitor>`` by combination. The settings and the monitor are the table's columns."""
    (ranked,) = [column for column in table.columns if column.startswith("best_")]
    monitor = ranked.removeprefix("best_")
    settings = [column for column in table.columns if column not in (ranked, "epochs")]
    if len(settings) == 2:
        pivot = table.pivot(index=settings[0], columns=settings[1], values=f"best_{monitor}")
        return plotting.heatmap(pivot, title=f"Sweep: best {monitor}")
    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.subplots()
    if len(settings) == 1:
        trained = monitor.removeprefix("val_")  # the training counterpart of a validation metric
        curves = ([(trained, "-", " (train)"), (monitor, "--", " (validation)")] if trained != monitor
                  else [(monitor, "-", "")])
        for index, (name, history) in enumerate(histories.items()):
            color = f"C{index % 10}"  # matplotlib's default cycle: one color per value
            for key, style, part in curves:
                if key in history:
                    epochs = np.arange(1, len(history[key]) + 1)
                    ax.plot(epochs, history[key], color=color, ls=style, label=name.split("=", 1)[1] + part)
        ax.set(xlabel="epoch", ylabel=trained, title=f"Sweep over {settings[0]}: {trained} by epoch")
        ax.legend(fontsize=8, ncols=2)
    else:
        ax.barh(list(histories), table[f"best_{monitor}"])
        ax.set(xlabel=f"best {monitor}", title="Sweep")
    ax.grid(alpha=0.3)
    return fig


def sweep_pipeline(app: str, train: Callable[..., Any], inputs: list[str], name: str = "sweep") -> Pipeline:
    """``<app>_<name>``: the app's training node ``train`` (with its ``inputs``) once per
    combination of ``<app>.<name>.grid``, then the sweep's table, curves and figure
    (``<app>.<name>_report``, ``_histories``, ``_plot``).

    ``train`` takes the settings blocks as ``model`` and ``training``; the sweep swaps them for
    each combination's and keeps the output its return type hint names ``History`` (the per-epoch
    history) of each training.
    """
    names, hints = list(inspect.signature(train).parameters), typing.get_type_hints(train)
    where = f"{app}.{name}"
    # Found from the hint, not given by position: a training node that gains an output keeps its sweep.
    outputs = typing.get_args(hints["return"])
    if outputs.count(History) != 1:
        raise TypeError(f"{train.__qualname__} must return one {History} (its history) for {where}.")
    history = outputs.index(History)

    def typed(name: str, value: Any) -> Any:
        """The settings block Kedro would build from ``train``'s type hint (this node has none)."""
        hint = hints.get(name)
        is_block = isinstance(value, dict) and isinstance(hint, type) and issubclass(hint, Settings)
        return hint.model_validate(value) if is_block else value

    def sweep_training(*values: Any) -> tuple[pd.DataFrame, dict[str, History]]:
        *arguments, raw = values
        if raw is None:
            raise ConfigurationError(f"Parameter {where} is not set; add a sweep block with its grid to "
                                     f"conf/base/parameters_{app}.yml (docs/sweeps.md).")
        sweep = raw if isinstance(raw, SweepSettings) else SweepSettings.model_validate(raw)
        bound = {name: typed(name, value) for name, value in zip(names, arguments, strict=True)}

        def fit(**blocks: Settings) -> History:
            return train(**{**bound, **blocks})[history]

        return run_sweep(sweep, {"model": bound["model"], "training": bound["training"]}, fit, where)

    return Pipeline([
        node(sweep_training, [*inputs, f"params:{where}"], [f"{where}_report", f"{where}_histories"],
             name="sweep_training", namespace=where),
        node(plot_sweep, [f"{where}_report", f"{where}_histories"], f"{where}_plot", name="plot_sweep",
             namespace=where),
    ])
