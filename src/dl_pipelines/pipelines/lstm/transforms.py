"""Transforms of the lstm app: gaps, the season, power transforms and differencing, scaling,
sliding windows, and the length the windows need."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.pipelines.lstm.settings import (
    ChronologicalSplit,
    ForecasterSettings,
    PreprocessingSettings,
    differencing_lags,
    length_problem,
)

# Seasonal differencing when the training part's seasonal strength reaches this: the threshold of
# Hyndman and Athanasopoulos' nsdiffs() (Forecasting: Principles and Practice, 3rd ed., 9.1).
SEASONAL_STRENGTH = 0.64
# The ridge start's penalties to choose from, on scaled values, and its forward-chaining folds.
RIDGE_PENALTIES = np.logspace(-1, 4, 26)
RIDGE_FOLDS = 5


def check_length(rows: int, split: ChronologicalSplit, preprocessing: PreprocessingSettings,
                 source: str, season: int = 1) -> None:
    """Stop with one line when a series is too short for its windows or for two seasons."""
    if problem := length_problem(rows, split, preprocessing, season):
        raise ConfigurationError(f"{source} {problem}.")


# Median spacing of the dates (days, from-to) -> values per season: the periods forecasting
# practice uses (R's forecast::frequency, the M4 competition).
_SEASONS = ((0.5, 1.5, 7), (6, 8.5, 52), (27, 32, 12), (88, 93, 4))


def season_of(time: np.ndarray, time_kind: str) -> int:
    """Values per season from the dates' spacing: daily 7 (trading days, with no weekend date,
    5), weekly 52, monthly 12, quarterly 4; 1 (no season) for yearly data, row numbers or a
    spacing that matches no calendar period."""
    if time_kind != "date" or len(time) < 3:
        return 1
    dates = pd.DatetimeIndex(pd.to_datetime(time))
    days = float(np.median(np.diff(dates.to_numpy()).astype("timedelta64[s]").astype(float))) / 86_400
    for shortest, longest, season in _SEASONS:
        if shortest <= days <= longest:
            return 5 if season == 7 and not (dates.dayofweek >= 5).any() else season
    return 1


def seasonal_strength(values: np.ndarray, season: int) -> float:
    """Wang, Smith and Hyndman's strength of seasonality, 1 - Var(remainder) / Var(season +
    remainder) of an STL decomposition, averaged over the series: 0 none, 1 all season."""
    from statsmodels.tsa.seasonal import STL  # only the auto differencing needs it

    strengths = []
    for column in values.T:
        fit = STL(column, period=season, robust=True).fit()
        spread = np.var(fit.seasonal + fit.resid)
        strengths.append(max(0.0, 1 - np.var(fit.resid) / spread) if spread > 0 else 0.0)
    return float(np.mean(strengths))


def chosen_lags(train_levels: np.ndarray, differencing: str, season: int) -> tuple[list[int], float | None]:
    """The lags to difference at; for ``auto``, the season's when the training part is clearly
    seasonal. Returns the lags and the seasonal strength (None when not measured)."""
    if differencing != "auto":
        return differencing_lags(differencing, season), None
    if season == 1:
        return [], None
    strength = seasonal_strength(train_levels, season)
    return ([season] if strength >= SEASONAL_STRENGTH else []), strength


def network_arrays(x: np.ndarray, y: np.ndarray, lambdas: np.ndarray | None, lags: list[int],
                   offset: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the network reads and learns from raw windows ``x`` and targets ``y``: Box-Cox
    transformed, differenced at ``lags`` and scaled, as the served model's layers do it."""
    time_steps = x.shape[1] - sum(lags)
    changes = difference(power(np.concatenate([x, y], axis=1), lambdas), lags, axis=1)
    scaled = ((changes - offset) / scale).astype("float32")
    return scaled[:, :time_steps], scaled[:, time_steps:]


def last_value_beats_mean(values: np.ndarray) -> bool:
    """Whether each value is closer to the one before it than to the mean (MAE over the rows and
    series): ``residual: auto`` of an undifferenced series, which makes the network forecast the
    change from the last value only where that naive forecast beats the constant one on the
    training part."""
    return bool(np.abs(np.diff(values, axis=0)).mean() < np.abs(values - values.mean(axis=0)).mean())


def last_value_start(time_steps: int, features: int) -> np.ndarray:
    """The coefficients of "the last value again" (persistence of what the network reads)."""
    start = np.zeros((time_steps, features))
    start[-1] = 1.0
    return start


def describe_forecaster(model: ForecasterSettings, start: np.ndarray) -> str:
    """For the log, with the linear start ``(time_steps, series)`` the run chose: "lstm (32
    unit(s) x 1 layer(s), residual)" for the last value, "..., residual from a linear forecast
    of 20 values, last value's weight 0.62)" for another one, nothing for none."""
    note = ("" if not start.any() else ", residual" if np.array_equal(start, last_value_start(*start.shape))
            else f", residual from a linear forecast of {len(start)} values, last value's weight "
            + ", ".join(f"{weight:.2f}" for weight in start[-1]))
    return f"{model.architecture} ({model.units} unit(s) x {model.layers} layer(s){note})"


def ridge_start(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per series, the coefficients ``(time_steps, series)`` of the ridge regression of the next
    scaled value on its own window (no intercept: the differences are scaled about zero), the
    penalty chosen by scikit-learn's ``RidgeCV`` on forward-chaining folds; cross-validation is
    valid for autoregressions (Bergmeir, Hyndman and Koo, 2018). ``residual: auto`` of a
    differenced series starts the network there. Neither seasonal naive (no coefficients) nor
    the last seasonal change again, nor a share of it, suits every series (docs/benchmarks/forecasting.md);
    the penalty shrinks the fit towards seasonal naive where the folds find little to learn."""
    from sklearn.linear_model import RidgeCV  # only the ridge start needs it
    from sklearn.model_selection import TimeSeriesSplit

    return np.stack([RidgeCV(alphas=RIDGE_PENALTIES, fit_intercept=False, cv=TimeSeriesSplit(RIDGE_FOLDS))
                     .fit(x[:, :, series], y[:, 0, series]).coef_ for series in range(x.shape[2])], axis=1)


def start_coefficients(residual: str | bool, x: np.ndarray, y: np.ndarray, differenced: bool,
                       trained: bool) -> np.ndarray:
    """The linear forecast the network starts from and learns the change from, as coefficients
    ``(time_steps, series)`` of its scaled window ``x``: the last value for
    ``lstm.model.residual: true``, none (zeros) for false. ``auto`` decides from the scaled
    training windows: for a differenced series :func:`ridge_start` once trained, else none (the
    start is then seasonal naive); for an undifferenced one the last value where
    :func:`last_value_beats_mean` on the targets ``y``, else none."""
    _, time_steps, features = x.shape
    if residual == "auto" and differenced:
        return ridge_start(x, y) if trained else np.zeros((time_steps, features))
    if residual == "auto":
        residual = last_value_beats_mean(y[:, 0])
    return last_value_start(time_steps, features) * float(residual)


def fit_power(train: np.ndarray, transform: str, source: str) -> np.ndarray | None:
    """Per-series lambda of the Box-Cox transform, fitted on the training rows (0 is the log);
    None for ``none``.

    Raises:
        ConfigurationError: A training value is not positive.
    """
    if transform == "none":
        return None
    if (train <= 0).any():
        raise ConfigurationError(f"{source} has values <= 0 in its training part; lstm.preprocessing."
                                 f"transform={transform!r} needs positive values: use transform: none.")
    if transform == "log":
        return np.zeros(train.shape[1])
    from scipy.stats import boxcox

    return np.array([boxcox(column)[1] for column in train.T])


def power(values: np.ndarray, lambdas: np.ndarray | None) -> np.ndarray:
    """Box-Cox transform with per-series ``lambdas`` ((x^l - 1) / l, log x for l = 0)."""
    if lambdas is None:
        return values
    safe = np.where(lambdas == 0, 1.0, lambdas)
    return np.where(lambdas == 0, np.log(values), (np.power(values, safe) - 1) / safe)


def difference(values: np.ndarray, lags: list[int], axis: int = 0) -> np.ndarray:
    """``values`` differenced at each lag in turn along ``axis`` (shorter by their sum)."""
    values = np.moveaxis(values, axis, 0)
    for lag in lags:
        values = values[lag:] - values[:-lag]
    return np.moveaxis(values, 0, axis)


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


def fit_scaler(train: np.ndarray, how: str, about_zero: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per-series ``(offset, scale)`` with scaled = (x - offset) / scale, from training rows only.

    ``standard``: mean and standard deviation, or with ``about_zero`` (for differences) 0 and the
    root mean square, so that no change stays 0 (the mean change of a few training years is a
    poor drift: seasonal naive plus it scored MASE 1.125 on USAccDeaths, against 0.527 without it);
    ``minmax``: minimum and range; ``none``: 0 and 1.
    A constant series gets scale 1 rather than a division by zero.
    """
    if how == "standard" and about_zero:
        offset, scale = np.zeros(train.shape[1]), np.sqrt(np.mean(np.square(train), axis=0))
    elif how == "standard":
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
