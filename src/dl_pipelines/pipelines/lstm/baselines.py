"""The forecasts every network forecast is scored against: persistence, seasonal naive, and an
exponential smoothing (ETS) model from statsmodels, each one step ahead and over a multi-step
horizon from the same origins.

Forecasting practice (the M4 competition) finds such simple methods hard to beat; a network that
loses to them is not worth serving.
"""

from __future__ import annotations

import itertools
import logging
import warnings

import numpy as np
import pandas as pd

from dl_pipelines.pipelines.lstm.settings import ForecastSettings

logger = logging.getLogger(__name__)

# Forecast origins scored over the multi-step horizon, evenly spaced over the test span: enough
# for a stable mean, few enough that a daily series' ETS forecasts take seconds.
MAX_ORIGINS = 100


def persistence(x: np.ndarray, horizon: int) -> np.ndarray:
    """The naive forecast: every future value equals the last value of the window."""
    return np.repeat(x[:, -1:, :], horizon, axis=1)


def multi_step_origins(first_test_row: int, rows: int, horizon: int) -> np.ndarray:
    """The rows multi-step forecasts start at: in the test span, with ``horizon`` rows after them
    (at most :data:`MAX_ORIGINS`, evenly spaced)."""
    origins = np.arange(first_test_row, rows - horizon + 1)
    if len(origins) > MAX_ORIGINS:
        origins = origins[np.linspace(0, len(origins) - 1, MAX_ORIGINS).round().astype(int)]
    return origins


def seasonal_naive(series: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The value one season before each forecast row, from the last season seen before its
    origin: (origins, horizon, series). With season 1 it is persistence."""
    steps = np.arange(horizon)
    back = season * (steps // season + 1)  # the latest season known at the origin
    return series[origins[:, None] + steps[None, :] - back[None, :]]


def fit_ets(train: np.ndarray, season: int):
    """The ETS model with the lowest AICc among additive errors with no or a damped trend and no,
    additive or (for positive series) multiplicative season, fitted on ``train`` (one series).

    Returns:
        ``(settings, params)``: the ETSModel keywords and the fitted parameters.
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # import cost: the baselines only

    seasonal = [None] + (["add"] + (["mul"] if (train > 0).all() else []) if season > 1 else [])
    best = None
    for trend, kind in itertools.product([None, "add"], seasonal):
        settings = {"error": "add", "trend": trend, "damped_trend": trend is not None, "seasonal": kind,
                    "seasonal_periods": season if kind else None}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notes of single candidates
            try:
                fitted = ETSModel(pd.Series(train), **settings).fit(disp=False)
            except (ValueError, np.linalg.LinAlgError):
                continue
        if np.isfinite(fitted.aicc) and (best is None or fitted.aicc < best[0]):
            best = (fitted.aicc, settings, fitted.params)
    if best is None:
        raise ValueError("no ETS model could be fitted to the training part")
    return best[1], best[2]


def ets_forecasts(series: np.ndarray, train_rows: int, rows: np.ndarray, origins: np.ndarray,
                  horizon: int, season: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """ETS fitted on the training rows of each series, then run over the whole series with those
    parameters: one-step forecasts of ``rows`` and ``horizon``-step forecasts from ``origins``.

    Returns:
        ``(one_step, multi_step, names)``: (rows, series), (origins, horizon, series) and the
        chosen model of each series, e.g. ``ETS(A,Ad,M)``.
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    one_step = np.empty((len(rows), series.shape[1]))
    multi_step = np.empty((len(origins), horizon, series.shape[1]))
    names = []
    for index, column in enumerate(series.T):
        settings, params = fit_ets(column[:train_rows], season)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            smoothed = ETSModel(pd.Series(column), **settings).smooth(params)
            one_step[:, index] = np.asarray(smoothed.fittedvalues)[rows]
            for row, origin in enumerate(origins.tolist()):
                # dynamic=0: from the origin on, the model's own forecasts stand in for the data.
                predicted = smoothed.get_prediction(start=origin, end=origin + horizon - 1, dynamic=0)
                multi_step[row, :, index] = np.asarray(predicted.predicted_mean)
        names.append("ETS(A,{},{})".format("Ad" if settings["trend"] else "N",
                                           {None: "N", "add": "A", "mul": "M"}[settings["seasonal"]]))
    return one_step, multi_step, names


# --- the node (evaluation stage) ---------------------------------------------------------------


def multi_step_horizon(model_input: dict[str, np.ndarray], settings: ForecastSettings) -> int:
    """``lstm.forecast.multi_step_horizon``, or one season (at least 2 steps)."""
    return settings.multi_step_horizon or max(2, int(model_input["season"]))


def origins_in_test_span(model_input: dict[str, np.ndarray], horizon: int) -> np.ndarray:
    """The multi-step origins of the test span of ``model_input`` (:func:`multi_step_origins`)."""
    return multi_step_origins(int(model_input["split"][0] + model_input["split"][1]),
                              len(model_input["series"]), horizon)


def forecast_baselines(model_input: dict[str, np.ndarray], settings: ForecastSettings
                       ) -> dict[str, np.ndarray]:
    """The baselines on the same test rows and origins as the network: persistence, seasonal
    naive and ETS (fitted on the training rows), one step and multi-step.

    Returns:
        ``<baseline>_test`` (test windows, series) one step ahead, ``<baseline>_multi_step``
        (origins, steps, series) for persistence, seasonal_naive and ets; ``persistence_all_steps``
        (test windows, horizon, series); the ``ets_models`` chosen per series.
    """
    series, season = model_input["series"], int(model_input["season"])
    horizon = multi_step_horizon(model_input, settings)
    origins, rows = origins_in_test_span(model_input, horizon), model_input["t_test"]
    ets_test, ets_multi_step, names = ets_forecasts(series, int(model_input["split"][0]), rows, origins,
                                                    horizon, season)
    logger.info("Baselines: persistence, seasonal naive (season %d), %s", season, ", ".join(names))
    return {
        "persistence_test": series[rows - 1],
        "seasonal_naive_test": seasonal_naive(series, rows, 1, season)[:, 0],
        "ets_test": ets_test,
        "persistence_all_steps": persistence(model_input["x_test"], model_input["y_test"].shape[1]),
        "persistence_multi_step": seasonal_naive(series, origins, horizon, 1),
        "seasonal_naive_multi_step": seasonal_naive(series, origins, horizon, season),
        "ets_multi_step": ets_multi_step,
        "ets_models": np.array(names),
    }
