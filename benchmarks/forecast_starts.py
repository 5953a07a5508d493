"""The lstm app's linear starts alone, without the network: each candidate start's one-step MASE
on the panel's differenced spans, against persistence and seasonal naive. Seconds instead of the
half hour of network runs; on differenced series the trained network stays within 4% of its
start (docs/benchmarks/forecasting.md), so a start that loses here is not worth a network run.

    .venv/bin/python benchmarks/forecast_starts.py                        # every start, rolling origins
    .venv/bin/python benchmarks/forecast_starts.py --starts ridge lasso --transform log
    .venv/bin/python benchmarks/forecast_starts.py --starts ridge --time-steps 36

The windows, scaling and differencing are the pipeline's own (``make_windows``, ``network_arrays``);
``ridge`` is the preset's start (``transforms.ridge_start``); the others are the candidates the docs
list as not kept. Undifferenced spans (real GDP, unemployment) have no linear start to screen and
series too short for the cut are left out.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import warnings
from collections.abc import Callable, Iterator
from functools import partial

import numpy as np
import pandas as pd
from common import progress
from forecast_panel import PANEL, ROLLING_CUTS, without_last
from scipy.special import inv_boxcox

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.pipelines.lstm.metrics import naive_mae
from dl_pipelines.pipelines.lstm.nodes import make_windows
from dl_pipelines.pipelines.lstm.settings import ChronologicalSplit, ForecasterSettings, PreprocessingSettings
from dl_pipelines.pipelines.lstm.sources import to_series
from dl_pipelines.pipelines.lstm.transforms import network_arrays, power, ridge_start

Start = Callable[[np.ndarray, np.ndarray, int], np.ndarray]  # (x, y, season) -> (time_steps, series)
PENALTIES = np.logspace(-1, 4, 26)
MIN_TRAIN_WINDOWS = ForecasterSettings.model_fields["min_train_windows"].default  # fewer: seasonal naive


def _per_series(fit: Callable[..., np.ndarray], with_season: bool = False) -> Start:
    """A start fitted series by series: ``fit(x, y)``, or ``fit(x, y, season=...)``."""
    def start(x: np.ndarray, y: np.ndarray, season: int) -> np.ndarray:
        one = partial(fit, season=season) if with_season else fit
        return np.stack([one(x[:, :, s], y[:, 0, s]) for s in range(x.shape[2])], axis=1)
    return start


def _folds():
    from sklearn.model_selection import TimeSeriesSplit

    return TimeSeriesSplit(5)


def _ridge_by_absolute_error(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import RidgeCV

    return RidgeCV(alphas=PENALTIES, fit_intercept=False, cv=_folds(),
                   scoring="neg_mean_absolute_error").fit(x, y).coef_


def _ridge_leave_one_out(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import RidgeCV

    return RidgeCV(alphas=PENALTIES, fit_intercept=False).fit(x, y).coef_  # efficient leave-one-out


def _ridge_shuffled_folds(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold

    folds = KFold(5, shuffle=True, random_state=0)
    return RidgeCV(alphas=PENALTIES, fit_intercept=False, cv=folds).fit(x, y).coef_


def _lasso(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LassoCV

    return LassoCV(fit_intercept=False, cv=_folds(), max_iter=20_000).fit(x, y).coef_


def _elastic_net(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import ElasticNetCV

    fit = ElasticNetCV(l1_ratio=[0.1, 0.5, 0.9], fit_intercept=False, cv=_folds(), max_iter=20_000)
    return fit.fit(x, y).coef_


def _huber(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import HuberRegressor
    from sklearn.model_selection import GridSearchCV

    search = GridSearchCV(HuberRegressor(fit_intercept=False, max_iter=2000), {"alpha": PENALTIES},
                          cv=_folds(), scoring="neg_mean_absolute_error")
    return search.fit(x, y).best_estimator_.coef_


def _ridge_if_significant(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The ridge where its forward-chaining out-of-fold forecasts beat none (seasonal naive) on
    absolute error, a one-sided Diebold-Mariano test at 5%; else none."""
    from sklearn.linear_model import Ridge, RidgeCV

    ridge = RidgeCV(alphas=PENALTIES, fit_intercept=False, cv=_folds()).fit(x, y)
    fold = Ridge(alpha=ridge.alpha_, fit_intercept=False)
    gains = np.concatenate([np.abs(fold.fit(x[fit], y[fit]).predict(x[held]) - y[held]) - np.abs(y[held])
                            for fit, held in _folds().split(x)])
    statistic = gains.mean() / (gains.std(ddof=1) / math.sqrt(len(gains)))
    return ridge.coef_ if statistic < -1.645 else np.zeros(x.shape[1])


def _ridge_recent(x: np.ndarray, y: np.ndarray, season: int) -> np.ndarray:
    """The ridge with each window weighted by its age, halved every 4 seasons (discounted least
    squares), its penalty chosen on the same forward-chaining folds."""
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV

    weights = 0.5 ** (np.arange(len(y))[::-1] / (4 * season))
    search = GridSearchCV(Ridge(fit_intercept=False), {"alpha": PENALTIES}, cv=_folds(),
                          scoring="neg_mean_squared_error")
    return search.fit(x, y, sample_weight=weights).best_estimator_.coef_


def _seasonal_arma(x: np.ndarray, y: np.ndarray, season: int) -> np.ndarray:
    """The AR(inf) weights, cut at the window, of an ARMA(1,1) with a seasonal MA(1) (statsmodels)
    fitted on the training part's differenced series."""
    from statsmodels.tsa.arima_process import arma2ar
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    weights, seasonal = [], (0, 0, 1, season) if season > 1 else (0, 0, 0, 0)
    for s in range(x.shape[2]):
        changes = np.concatenate([x[0, :, s], y[:, 0, s]])
        fit = SARIMAX(changes, order=(1, 0, 1), seasonal_order=seasonal, trend="n").fit(disp=False)
        weights.append(-arma2ar(fit.polynomial_ar, fit.polynomial_ma, lags=x.shape[1] + 1)[1:][::-1])
    return np.stack(weights, axis=1)


STARTS: dict[str, Start] = {
    "ridge": lambda x, y, _: ridge_start(x, y),
    "ridge-absolute-error": _per_series(_ridge_by_absolute_error),
    "ridge-leave-one-out": _per_series(_ridge_leave_one_out),
    "ridge-shuffled-folds": _per_series(_ridge_shuffled_folds),
    "ridge-if-significant": _per_series(_ridge_if_significant),
    "ridge-recent": _per_series(_ridge_recent, with_season=True),
    "lasso": _per_series(_lasso),
    "elastic-net": _per_series(_elastic_net),
    "ridge+lasso": lambda x, y, season: (STARTS["ridge"](x, y, season) + STARTS["lasso"](x, y, season)) / 2,
    "huber": _per_series(_huber),
    "seasonal-arma": _seasonal_arma,
}


def spans(cuts: list[float]) -> Iterator[tuple[str, pd.Series]]:
    for name, load in PANEL.items():
        whole = load().astype(float)
        for cut in cuts:
            yield f"{name} -{cut:.0%}", without_last(whole, cut)


def scores(values: pd.Series, preprocessing: PreprocessingSettings,
           starts: list[str]) -> dict[str, float] | None:
    """One-step test MASE of persistence, seasonal naive and each start on one span (with too few
    training windows, seasonal naive, as the untrained network); None when the span is not
    differenced."""
    # The cells as a CSV run reads them.
    cells = pd.DataFrame({"date": values.index.strftime("%Y-%m-%d"), "value": values.to_numpy().astype(str)})
    series = {**to_series(cells, "span", "date"), "dataset": np.array("csv")}
    model_input = make_windows(series, "csv", ChronologicalSplit(validation_fraction=0.1, test_fraction=0.2),
                               preprocessing)
    lags = [int(lag) for lag in model_input["lags"]]
    if not lags:
        return None
    lambdas = model_input["power_lambdas"] if len(model_input["power_lambdas"]) else None
    offset, scale = model_input["scale_offset"], model_input["scale_scale"]
    x_train, y_train = network_arrays(model_input["x_train"], model_input["y_train"], lambdas, lags, offset,
                                      scale)
    x_test, _ = network_arrays(model_input["x_test"], model_input["y_test"], lambdas, lags, offset, scale)
    truth, raw = model_input["y_test"][:, 0], model_input["x_test"]
    mase_scale = naive_mae(model_input["series"][:int(model_input["split"][0])])

    def mase(forecast: np.ndarray) -> float:
        return float(np.mean(np.abs(forecast - truth) / mase_scale))

    def levels(changes: np.ndarray) -> np.ndarray:  # the served model's inverse transforms
        transformed = power(raw, lambdas)[:, -lags[0]] + changes * scale + offset
        return transformed if lambdas is None else inv_boxcox(transformed, lambdas)

    row = {"persistence": mase(raw[:, -1]), "seasonal naive": mase(raw[:, -lags[0]])}
    season, trained = int(model_input["season"]), len(x_train) >= MIN_TRAIN_WINDOWS
    for name in starts:
        start = STARTS[name](x_train, y_train, season) if trained else np.zeros(x_train.shape[1:])
        row[name] = mase(levels(np.einsum("nts,ts->ns", x_test, start)))
    return row


def summary(rows: dict[str, dict[str, float]], starts: list[str]) -> str:
    lines = ["| start | spans lost to persistence or seasonal naive | start / seasonal naive (geometric "
             "mean) | lost on |", "|---|---:|---:|---|"]
    for name in starts:
        # Up to rounding: an untrained log start is seasonal naive through exp(log(x)).
        lost = [span for span, row in rows.items()
                if row[name] > min(row["persistence"], row["seasonal naive"]) * (1 + 1e-9)]
        ratio = math.exp(statistics.fmean(math.log(row[name] / row["seasonal naive"])
                                          for row in rows.values()))
        lines.append(f"| {name} | {len(lost)} of {len(rows)} | {ratio:.3f} | {', '.join(lost) or '-'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", nargs="+", choices=list(STARTS), default=list(STARTS))
    parser.add_argument("--transform", choices=["none", "log", "box_cox"], default="none")
    parser.add_argument("--time-steps", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="also print each span's scores as a JSON line")
    args = parser.parse_args(argv)
    preprocessing = PreprocessingSettings(time_steps=args.time_steps, differencing="auto",
                                          transform=args.transform)
    rows = {}
    warnings.filterwarnings("ignore")  # statsmodels' and scikit-learn's convergence chatter
    for span, values in spans(ROLLING_CUTS):
        progress(f"linear starts: {span} ...")
        try:
            row = scores(values, preprocessing, args.starts)
        except ConfigurationError:  # too short once cut
            continue
        if row is not None:
            rows[span] = row
            if args.json:
                print(json.dumps({"span": span, **row}))
    print(f"Linear starts alone, one-step MASE on the panel's differenced rolling-origin spans (transform "
          f"{args.transform}, {args.time_steps} values):\n")
    print(summary(rows, args.starts))


if __name__ == "__main__":
    sys.exit(main())
