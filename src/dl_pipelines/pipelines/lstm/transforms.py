"""Transforms of the lstm app: gaps, scaling, sliding windows, and the length the windows need."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.pipelines.lstm.settings import (
    ChronologicalSplit,
    PreprocessingSettings,
    length_problem,
)


def check_length(rows: int, split: ChronologicalSplit, preprocessing: PreprocessingSettings,
                 source: str) -> None:
    """Stop with one line when a series is too short for ``time_steps`` + ``horizon``."""
    if problem := length_problem(rows, split, preprocessing):
        raise ConfigurationError(f"{source} {problem}.")


def fill_gaps(values: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Treat missing values (NaN) the way ``how`` says.

    - ``drop``: leave out every row with a missing value (a trading-day series stays a sequence of
      observed days);
    - ``ffill``: carry the last observed value forward (a day without a quote repeats the last);
    - ``interpolate``: straight line between the observed neighbours.

    Leading (and for ``interpolate`` trailing) gaps have nothing to fill from and are dropped.

    Returns:
        ``(values, kept)``: the treated values and the mask of the input rows they come from.
    """
    frame = pd.DataFrame(values)
    if how == "ffill":
        frame = frame.ffill()
    elif how == "interpolate":
        frame = frame.interpolate(method="linear", limit_area="inside")
    kept = frame.notna().all(axis=1).to_numpy()
    return frame.to_numpy()[kept], kept


def fit_scaler(train: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-series ``(offset, scale)`` with scaled = (x - offset) / scale, from training rows only.

    ``standard``: mean and standard deviation; ``minmax``: minimum and range; ``none``: 0 and 1.
    A constant series gets scale 1 rather than a division by zero.
    """
    if how == "standard":
        offset, scale = train.mean(axis=0), train.std(axis=0)
    elif how == "minmax":
        offset, scale = train.min(axis=0), np.ptp(train, axis=0)
    else:
        offset, scale = np.zeros(train.shape[1]), np.ones(train.shape[1])
    return offset, np.where(scale > 0, scale, 1.0)


def sliding_windows(values: np.ndarray, start: int, stop: int, time_steps: int,
                    horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every window whose targets lie in ``values[start:stop]``, in time order.

    Returns:
        ``x`` (samples, time_steps, series): the ``time_steps`` values before each target;
        ``y`` (samples, horizon, series): the next ``horizon`` values; ``t``: the row of each
        sample's first target. A window may reach back before ``start`` (the past is known when
        forecasting) but never a target past ``stop``.
    """
    first = max(start, time_steps)
    t = np.arange(first, stop - horizon + 1)
    series = values.shape[1]
    x = np.stack([values[i - time_steps:i] for i in t]) if len(t) else np.empty((0, time_steps, series))
    y = np.stack([values[i:i + horizon] for i in t]) if len(t) else np.empty((0, horizon, series))
    return x, y, t
