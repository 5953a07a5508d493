import fsspec
import keras
import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.pipelines.lstm import baselines, figures, nodes, sources, transforms
from dl_pipelines.pipelines.lstm import metrics as forecast_metrics
from dl_pipelines.pipelines.lstm.models import (
    ARCHITECTURES,
    build_forecaster,
    extrapolate,
    served_forecaster,
    start_metrics,
)
from dl_pipelines.pipelines.lstm.settings import ForecasterSettings
from tests.helpers import app_settings, raw_params


def settings(**changes):
    """The project's lstm settings, quick and file-free, with ``section__key=value`` changes."""
    return app_settings("lstm", **{"generated__length": 200, **changes})


def csv_settings(**changes):
    return settings(dataset="csv", **changes)


def ingest(s, csv=None):
    """The ingestion node, given the file ``csv`` as the ``user_csv`` catalog entry gives it."""
    return nodes.ingest_series(RawFiles("unused", {}), csv and fsspec.open(str(csv), "rb"), s.dataset,
                               s.generated, s.csv, s.split, s.preprocessing)


def read_series(path, *args):
    return sources.to_series(sources.read_text_table(fsspec.open(str(path), "rb")), str(path), *args)


def windows(series, s):
    return nodes.make_windows(series, s.dataset, s.split, s.preprocessing)


def forecaster(**options):
    return ForecasterSettings(**{"units": 8, "layers": 1, "residual": False, **options})


@pytest.fixture(scope="module")
def logistic():
    return ingest(settings())


@pytest.fixture(scope="module")
def model_input(logistic):
    return windows(logistic, settings())


# --- series ------------------------------------------------------------------------------------


def test_logistic_map_is_the_course_series():
    values = sources.logistic_map(1000, 0.1)
    assert values[:3].tolist() == pytest.approx([0.1, 0.36, 0.9216])
    np.testing.assert_allclose(values[1:], 4 * values[:-1] * (1 - values[:-1]))
    assert 0.1 < values.var() < 0.15  # the course's stalled LSTM: MSE 0.125, the series' variance


def test_noisy_sine_is_seeded():
    a, b = sources.noisy_sine(1000, seed=0), sources.noisy_sine(1000, seed=0)
    np.testing.assert_array_equal(a, b)
    noise = a - np.sin(0.02 * np.arange(1000))
    assert 0 <= noise.min() and noise.max() <= 2
    assert noise.var() == pytest.approx(1 / 3, rel=0.1)
    assert not np.array_equal(a, sources.noisy_sine(1000, seed=1))


def test_fred_file_with_dot_gaps_reads_as_nan(tmp_path):
    path = tmp_path / "DEXUSEU.csv"
    path.write_text("DATE,DEXUSEU\n1999-01-04,1.1812\n1999-01-05,.\n1999-01-06,1.1636\n")
    series = read_series(path, "DATE", ["DEXUSEU"])
    assert series["time"].tolist() == ["1999-01-04", "1999-01-05", "1999-01-06"]
    assert np.isnan(series["values"][1, 0]) and series["values"][2, 0] == 1.1636
    assert str(series["time_kind"]) == "date"


def test_csv_rows_are_sorted_by_date_and_index_columns_work(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("when,a,b\n2020-01-03,3,30\n2020-01-01,1,10\n2020-01-02,2,20\n")
    series = read_series(path, "when")
    assert series["columns"].tolist() == ["a", "b"]
    assert series["values"][:, 0].tolist() == [1, 2, 3]
    plain = read_series(path, None, ["b"])
    assert plain["values"][:, 0].tolist() == [30, 10, 20] and str(plain["time_kind"]) == "index"


@pytest.mark.parametrize("how, expected", [
    ("drop", [1, 3, 6]),
    ("ffill", [1, 1, 3, 3, 6, 6]),
    ("interpolate", [1, 2, 3, 4.5, 6]),
])
def test_gap_treatments(how, expected):
    values = np.array([[np.nan], [1], [np.nan], [3], [np.nan], [6], [np.nan]])
    treated, kept = transforms.fill_gaps(values, how)
    assert treated[:, 0].tolist() == expected
    assert kept.sum() == len(expected)


# --- bad CSVs: one clear line from the ingestion node, which reads the file ----------------------


@pytest.mark.parametrize("text, culprit", [
    ("date,value\n2020-01-01,1\nnot a date,2\n" + "".join(f"2021-01-{d:02d},{d}\n" for d in range(1, 29)),
     "date column 'date' has a value that is not a date: 'not a date' (line 3)"),
    ("date,value\n" + "".join(f"2021-01-{d:02d},{d}\n" for d in range(1, 29)) + "2021-02-01,abc\n",
     "value column 'value' has a non-numeric value 'abc' (line 30)"),
    ("date,value\n" + "".join(f"2021-01-{d:02d},{d}\n" for d in range(1, 31)),
     "has 30 usable rows, too few for lstm.preprocessing.time_steps=20 (+ 7 for the differencing) "
     "+ horizon=1"),
    ("date,value\n" + "".join(f"2021-01-{d:02d},{d}\n" for d in range(1, 11)),
     "has 10 usable rows: the split leaves 7 for training, fewer than two seasons of 7"),
])
def test_bad_csv_stops_with_one_line_naming_the_problem(tmp_path, text, culprit):
    path = tmp_path / "user.csv"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as error:
        ingest(csv_settings(), csv=path)
    message = str(error.value)
    assert culprit in message and "\n" not in message
    assert str(path) in message


def test_missing_csv_and_missing_column_are_named(tmp_path):
    with pytest.raises(ConfigurationError, match="lstm.dataset=csv needs your CSV file: --params csv_path="):
        ingest(csv_settings())
    with pytest.raises(ConfigurationError, match="nope.csv does not exist"):
        ingest(csv_settings(), csv=tmp_path / "nope.csv")
    path = tmp_path / "s.csv"
    path.write_text("day,value\n2020-01-01,1\n")
    expected = (r"no column 'date' \(lstm.csv.time_column\); its columns are: day, value. Name its date "
                r"column with --params lstm.csv.time_column=<column>")
    with pytest.raises(ConfigurationError, match=expected):
        ingest(csv_settings(), csv=path)


def test_a_good_csv_goes_through_ingestion_and_preprocessing(tmp_path):
    path = tmp_path / "user.csv"
    rows = "".join(f"2021-{1 + d // 28:02d}-{1 + d % 28:02d},{d},{'.' if d == 5 else 2 * d}\n"
                   for d in range(100))
    path.write_text("date,a,b\n" + rows)
    s = csv_settings(preprocessing__time_steps=5)
    parts = windows(ingest(s, csv=path), s)
    assert parts["x_train"].shape[1:] == (5, 2) and parts["y_train"].shape[1:] == (1, 2)
    assert len(parts["series"]) == 99  # the '.' row dropped


def test_the_length_of_a_csv_counts_after_its_gaps_are_treated(tmp_path):
    path = tmp_path / "user.csv"
    rows = "".join(f"2021-{1 + d // 28:02d}-{1 + d % 28:02d},{'.' if d % 2 else d}\n" for d in range(40))
    path.write_text("date,value\n" + rows)
    with pytest.raises(ConfigurationError, match="has 20 usable rows, too few"):
        ingest(csv_settings(), csv=path)  # 40 rows, 20 with a value: too few for 20 time steps
    assert len(ingest(csv_settings(preprocessing__gaps="ffill"), csv=path)["values"]) == 40


# --- preprocessing -----------------------------------------------------------------------------


def test_split_is_chronological_and_never_shuffles_across_time(model_input):
    train, validation, test = model_input["split"].tolist()
    assert (train, validation, test) == (140, 20, 40)
    for part in ("train", "val", "test"):
        assert np.all(np.diff(model_input[f"t_{part}"]) == 1)  # consecutive, in time order
    assert model_input["t_train"].max() < model_input["t_val"].min()
    assert model_input["t_val"].max() < model_input["t_test"].min()
    assert model_input["t_val"].min() == train and model_input["t_test"].min() == train + validation
    assert model_input["t_test"].max() == len(model_input["series"]) - 1
    series = model_input["series"]
    for part in ("train", "val", "test"):  # every window is the past of its target
        for x, y, t in zip(model_input[f"x_{part}"], model_input[f"y_{part}"], model_input[f"t_{part}"],
                           strict=True):
            np.testing.assert_array_equal(x, series[t - len(x):t])
            np.testing.assert_array_equal(y, series[t:t + len(y)])


def test_scaler_is_fitted_on_the_training_part_only(logistic):
    parts = windows(logistic, settings())
    train = parts["series"][:140]
    np.testing.assert_allclose(parts["scale_offset"], train.mean(axis=0))
    np.testing.assert_allclose(parts["scale_scale"], train.std(axis=0))
    changed = {**logistic, "values": logistic["values"].copy()}
    changed["values"][140:] *= 100  # validation and test change: the scaler must not
    again = windows(changed, settings())
    np.testing.assert_array_equal(again["scale_offset"], parts["scale_offset"])
    np.testing.assert_array_equal(again["scale_scale"], parts["scale_scale"])
    minmax = windows(logistic, settings(preprocessing__scaling="minmax"))
    assert minmax["scale_offset"][0] == train.min() and minmax["scale_scale"][0] == np.ptp(train)


@pytest.mark.parametrize("time_steps, horizon", [(4, 1), (10, 3)])
def test_window_shapes_for_a_horizon(logistic, time_steps, horizon):
    parts = windows(logistic, settings(preprocessing__time_steps=time_steps,
                                       preprocessing__horizon=horizon))
    assert parts["x_train"].shape == (140 - time_steps - horizon + 1, time_steps, 1)
    assert parts["y_train"].shape == (140 - time_steps - horizon + 1, horizon, 1)
    assert parts["x_test"].shape == (40 - horizon + 1, time_steps, 1)
    assert parts["y_test"].shape == (40 - horizon + 1, horizon, 1)


def test_windows_refuse_a_series_of_another_dataset(logistic):
    fix = "kedro run --pipelines=lstm_ingestion --params lstm.dataset=noisy_sine"
    with pytest.raises(ConfigurationError, match=fix):
        windows(logistic, settings(dataset="noisy_sine"))


# --- models and forecasting ----------------------------------------------------------------------


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_architecture_maps_windows_to_a_horizon(architecture):
    model = build_forecaster(6, 2, 3, forecaster(architecture=architecture, units=8, layers=2,
                                                 dropout=0.1, residual=False), None)
    assert model.predict(np.zeros((5, 6, 2), "float32"), verbose=0).shape == (5, 3, 2)
    if architecture != "dense":
        recurrent = [layer for layer in model.layers if layer.name.startswith(architecture)]
        assert len(recurrent) == 2 and recurrent[0].return_sequences and not recurrent[1].return_sequences


@pytest.mark.parametrize("architecture", ["lstm", "dense"])
def test_a_no_change_start_forecasts_no_change_before_training(architecture):
    # Seeded: with unseeded weights, all four relu units of the dense start can be off for these
    # windows (a zero forecast), now and then, depending on the tests run before in the process.
    keras.utils.set_random_seed(0)
    window = np.arange(8, dtype="float32").reshape(2, 4, 1)
    residual = build_forecaster(4, 1, 2, forecaster(architecture=architecture, units=4, residual=True),
                                transforms.last_value_start(4, 1), no_change_start=True)
    np.testing.assert_allclose(residual.predict(window, verbose=0), baselines.persistence(window, 2))
    plain = build_forecaster(4, 1, 2, forecaster(architecture=architecture, units=4), None,
                             no_change_start=True)
    assert not plain.predict(window, verbose=0).any()  # scaled 0: seasonal naive once differenced
    random_start = build_forecaster(4, 1, 2, forecaster(architecture=architecture, units=4), None)
    assert random_start.predict(window, verbose=0).any()


def test_auto_residual_forecasts_the_change_where_the_last_value_beats_the_mean():
    rng = np.random.default_rng(0)
    walk, noise = np.cumsum(rng.normal(size=(200, 1)), axis=0), rng.normal(size=(200, 1))
    windows, last = np.zeros((200, 4, 1)), transforms.last_value_start(4, 1)

    def start(residual, targets, differenced=False):
        return transforms.start_coefficients(residual, windows, targets[:, None], differenced, trained=True)

    assert (start("auto", walk) == last).all()
    assert not start("auto", noise).any()
    assert (start(True, noise, differenced=True) == last).all()
    for coefficients in (last, 0 * last):
        model = build_forecaster(4, 1, 1, forecaster(architecture="gru", residual="auto"), coefficients)
        assert ("start" in [layer.name for layer in model.layers]) is bool(coefficients.any())


def test_auto_residual_of_differences_starts_from_their_ridge_autoregression():
    rng = np.random.default_rng(0)
    ar2 = np.zeros(3000)
    for t in range(2, len(ar2)):
        ar2[t] = 0.5 * ar2[t - 1] - 0.3 * ar2[t - 2] + rng.normal()
    x = np.lib.stride_tricks.sliding_window_view(ar2[:-1], 6)[:, :, None]
    y = ar2[6:, None, None]
    start = transforms.start_coefficients("auto", x, y, differenced=True, trained=True)
    np.testing.assert_allclose(start[:, 0], [0, 0, 0, 0, -0.3, 0.5], atol=0.05)
    # Nothing to learn: the folds choose a penalty that shrinks the start to seasonal naive (least
    # squares gives coefficients up to 0.08 here).
    noise = np.random.default_rng(1).normal(size=(200, 7))
    assert np.abs(transforms.ridge_start(noise[:, :6, None], noise[:, 6:, None])).max() < 0.01
    assert not transforms.start_coefficients("auto", x, y, differenced=True, trained=False).any()
    # The start is the linear forecast exactly until the network learns a change from it.
    model = build_forecaster(6, 1, 1, forecaster(architecture="lstm", residual="auto"), start,
                             no_change_start=True)
    np.testing.assert_allclose(model.predict(x[:3].astype("float32"), verbose=0)[:, 0, 0],
                               x[:3, :, 0] @ start[:, 0], rtol=1e-5, atol=1e-6)
    assert transforms.describe_forecaster(forecaster(architecture="gru"), start) == (
        "gru (8 unit(s) x 1 layer(s), residual from a linear forecast of 6 values, last value's weight "
        f"{start[-1, 0]:.2f})")
    assert transforms.describe_forecaster(
        forecaster(architecture="gru"), transforms.last_value_start(6, 1)).endswith("residual)")


def test_the_start_a_run_chose_is_recorded_for_mlflow():
    start = np.array([[0.0, 0.2], [-0.4, 0.0], [0.7, 1.0]])
    core = build_forecaster(3, 2, 1, forecaster(architecture="lstm", residual="auto"), start)
    served = served_forecaster(core, np.zeros(2), np.ones(2), lags=[12])
    assert start_metrics(served) == {"start_last_value_weight": {"value": pytest.approx(0.85), "step": 0},
                                     "start_weight_sum": {"value": pytest.approx(1.15), "step": 0}}
    no_start = build_forecaster(3, 1, 1, forecaster(architecture="dense"), None)
    assert {key: value["value"] for key, value in start_metrics(no_start).items()} == {
        "start_last_value_weight": 0.0, "start_weight_sum": 0.0}


def silent(core):
    """``core`` with its output layer zeroed: it forecasts no change at all."""
    for layer in core.layers:
        if layer.name == "forecast_flat":
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    return core


def test_served_model_carries_its_scaling():
    core = silent(build_forecaster(3, 1, 1, forecaster(architecture="dense", units=4, residual=True),
                                   transforms.last_value_start(3, 1)))
    served = served_forecaster(core, np.array([100.0]), np.array([5.0]))
    window = np.array([[[90.0], [95.0], [102.5]]], dtype="float32")
    np.testing.assert_allclose(served.predict(window, verbose=0), [[[102.5]]], rtol=1e-6)


def test_served_model_inverts_its_power_transform_and_differencing(tmp_path):
    # Forecasting no change of the log series differenced at lags 4 and 1 is the seasonal
    # random walk with drift: y(t) = y(t-1) y(t-4) / y(t-5), step after step over the horizon.
    core = silent(build_forecaster(3, 1, 3, forecaster(architecture="dense", units=4, layers=1), None))
    served = served_forecaster(core, np.array([0.0]), np.array([1.0]), lambdas=np.array([0.0]), lags=[4, 1])
    assert served.input_shape == (None, 3 + 5, 1)
    window = np.exp(np.random.default_rng(0).normal(size=(2, 8, 1))).astype("float32")
    levels = list(window[..., 0].T)
    for _ in range(3):
        levels.append(levels[-1] * levels[-4] / levels[-5])
    expected = np.array(levels[8:]).T[..., None]
    np.testing.assert_allclose(served.predict(window, verbose=0), expected, rtol=1e-4)
    served.save(tmp_path / "model.keras")  # the custom layers come back from their config
    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(reloaded.predict(window, verbose=0), expected, rtol=1e-4)


@pytest.mark.parametrize("lambdas", [np.array([0.0]), np.array([0.5]), np.array([-0.3])])
def test_the_network_learns_what_the_served_model_reads(lambdas):
    # network_arrays (numpy, for training) and the served model's layers transform alike: a
    # network that copies its last input value forecasts the same change both ways.
    x = np.exp(np.random.default_rng(1).normal(size=(3, 7, 1))) + 1
    y = np.exp(np.random.default_rng(2).normal(size=(3, 1, 1))) + 1
    inputs, targets = transforms.network_arrays(x, y, lambdas, [2], np.array([0.1]), np.array([2.0]))
    assert inputs.shape == (3, 5, 1) and targets.shape == (3, 1, 1)
    copy_last = keras.Sequential([keras.Input((5, 1)), keras.layers.Cropping1D((4, 0))])
    served = served_forecaster(copy_last, np.array([0.1]), np.array([2.0]), lambdas=lambdas, lags=[2])
    change = inputs[:, -1:] * 2.0 + 0.1  # unscaled
    forecast_levels = transforms.power(x, lambdas)[:, -2:-1] + change  # one lag (2) back, plus the change
    predicted = served.predict(x.astype("float32"), verbose=0)
    np.testing.assert_allclose(transforms.power(predicted, lambdas), forecast_levels, rtol=1e-4)


class _AddOne(keras.Model):
    """A stand-in forecaster: the next value is the last one plus 1, for a horizon of 2."""

    def call(self, window):
        last = window[:, -1:, :]
        return keras.ops.concatenate([last + 1, last + 2], axis=1)


def test_recursive_extrapolation_feeds_predictions_back():
    window = np.array([[0.0], [1.0], [2.0]])
    forecasts = extrapolate(_AddOne(name="add_one"), window, steps=5)
    # Only the model's own forecasts can carry the count past 4: each block starts from the last
    # forecast of the block before.
    np.testing.assert_allclose(forecasts[:, 0], [3, 4, 5, 6, 7])


def test_mase_scales_by_the_in_sample_naive_error():
    truth = np.array([[1.0], [2.0], [4.0]])
    predicted = np.array([[1.5], [2.0], [3.0]])
    metrics = forecast_metrics.error_metrics(truth, predicted, naive_mae=np.array([0.5]))
    assert metrics["mae"] == pytest.approx(0.5) and metrics["mase"] == pytest.approx(1.0)
    assert metrics["mse"] == pytest.approx((0.25 + 0 + 1) / 3)


def test_persistence_on_a_random_walk_has_mase_near_one():
    steps = np.random.default_rng(0).normal(size=(3000, 1))
    walk = np.cumsum(steps, axis=0)
    naive = np.mean(np.abs(np.diff(walk[:2000], axis=0)), axis=0)
    x, y, _ = transforms.sliding_windows(walk, 2000, 3000, 5, 1)
    metrics = forecast_metrics.error_metrics(y[:, 0], baselines.persistence(x, 1)[:, 0], naive)
    assert metrics["mase"] == pytest.approx(1.0, abs=0.1)


def test_training_learns_and_evaluation_reports_in_original_units(model_input):
    s = settings(training__epochs=3, forecast__extrapolation_steps=7)
    model, history = nodes.train_forecaster(model_input, s.model, s.training, s.seed)
    assert len(history["loss"]) == 3 and history["loss"][-1] < history["loss"][0]
    forecasts = nodes.forecast(model, model_input, s.forecast)
    assert forecasts["pred_test"].shape == model_input["y_test"].shape
    assert forecasts["extrapolation"].shape == (7, 1)
    assert forecasts["multi_step"].shape == (39, 2, 1)  # every test origin, 2 steps (no season)
    baseline_forecasts = baselines.forecast_baselines(model_input, s.forecast)
    metrics, table = nodes.evaluate_forecasts(forecasts, baseline_forecasts, model_input)
    names = {f"{prefix}test_{name}" for prefix in ("", "baseline_", "seasonal_naive_", "ets_")
             for name in ("mse", "mae", "mase", "multi_step_mase")}
    assert names | {"test_extrapolation_mse", "test_extrapolation_mae", "season"} <= set(metrics)
    error = model_input["x_test"][:, -1, 0] - model_input["y_test"][:, 0, 0]
    assert metrics["baseline_test_mse"]["value"] == pytest.approx(np.mean(error ** 2))
    # Without a season, the seasonal naive forecast is persistence.
    assert metrics["seasonal_naive_test_mase"] == metrics["baseline_test_mase"]
    baseline_columns = ["logistic_map_persistence", "logistic_map_seasonal_naive", "logistic_map_ets"]
    assert list(table.columns) == ["time", "logistic_map", "logistic_map_forecast", *baseline_columns]
    for plot in (figures.plot_forecast_overview, figures.plot_extrapolation):
        assert plot(forecasts, model_input).axes
    assert figures.plot_test_span(forecasts, baseline_forecasts, model_input).axes
    assert figures.plot_learning_curves(history).axes


# --- seasons, transforms and baselines ----------------------------------------------------------


@pytest.mark.parametrize("frequency, season", [("MS", 12), ("QS", 4), ("W-SUN", 52), ("D", 7), ("B", 5),
                                               ("YS", 1)])
def test_the_season_follows_the_dates(frequency, season):
    dates = pd.date_range("2001-01-01", periods=60, freq=frequency).strftime("%Y-%m-%d").to_numpy()
    assert transforms.season_of(dates, "date") == season
    assert transforms.season_of(np.arange(60).astype(str), "index") == 1


def test_seasonal_naive_repeats_the_last_season_seen_before_the_origin():
    series = np.arange(20.0)[:, None]
    forecast = baselines.seasonal_naive(series, np.array([10]), horizon=5, season=3)
    np.testing.assert_array_equal(forecast[0, :, 0], [7, 8, 9, 7, 8])
    np.testing.assert_array_equal(baselines.seasonal_naive(series, np.array([10]), 2, 1)[0, :, 0], [9, 9])


def monthly(length=120, seed=0):
    """A positive monthly series: trend, yearly season, a little noise."""
    months = np.arange(length)
    noise = np.random.default_rng(seed).normal(0, 0.5, length)
    return 50 + 0.3 * months + 8 * np.sin(2 * np.pi * months / 12) + noise


def test_ets_finds_trend_and_season_where_seasonal_naive_lags_behind():
    series = monthly()[:, None]
    rows, origins = np.arange(96, 120), np.arange(96, 109)
    one_step, multi_step, names = baselines.ets_forecasts(series, 84, rows, origins, 12, 12)
    assert one_step.shape == (24, 1) and multi_step.shape == (13, 12, 1)
    assert names[0].endswith(("A)", "M)"))  # a seasonal model
    ets_error = np.mean(np.abs(one_step[:, 0] - series[rows, 0]))
    naive_error = np.mean(np.abs(baselines.seasonal_naive(series, rows, 1, 12)[:, 0, 0] - series[rows, 0]))
    assert ets_error < 0.5 * naive_error  # seasonal naive misses a year of trend (3.6)


def test_auto_differencing_is_seasonal_only_for_a_seasonal_series():
    assert transforms.chosen_lags(monthly()[:84, None], "auto", 12)[0] == [12]
    noise = np.random.default_rng(0).normal(size=(84, 1))
    lags, strength = transforms.chosen_lags(noise, "auto", 12)
    assert lags == [] and strength < transforms.SEASONAL_STRENGTH
    assert transforms.chosen_lags(noise, "both", 12) == ([12, 1], None)


def monthly_csv(path, values, start="2001-01-01"):
    dates = pd.date_range(start, periods=len(values), freq="MS").strftime("%Y-%m-%d")
    pd.DataFrame({"date": dates, "sales": values}).to_csv(path, index=False)
    return path


def test_a_monthly_csv_is_transformed_and_differenced_by_season(tmp_path):
    s = csv_settings(preprocessing__transform="log", preprocessing__differencing="auto",
                     preprocessing__time_steps=6)
    model_input = windows(ingest(s, monthly_csv(tmp_path / "sales.csv", monthly())), s)
    assert int(model_input["season"]) == 12 and model_input["lags"].tolist() == [12]
    assert model_input["power_lambdas"].tolist() == [0.0]
    assert model_input["x_train"].shape[1] == 6 + 12  # the window reaches one season further back


def test_differences_are_scaled_about_zero_so_no_change_stays_zero(tmp_path):
    s = csv_settings(preprocessing__differencing="seasonal", preprocessing__time_steps=6)
    model_input = windows(ingest(s, monthly_csv(tmp_path / "sales.csv", monthly())), s)
    changes = transforms.difference(monthly()[:84, None], [12])  # the training part's (84 rows)
    assert model_input["scale_offset"].tolist() == [0.0]
    assert model_input["scale_scale"] == pytest.approx(np.sqrt(np.mean(changes ** 2)))
    offset, scale = transforms.fit_scaler(np.array([[1.0], [3.0]]), "standard")
    assert (offset.tolist(), scale.tolist()) == ([2.0], [1.0])  # levels: mean and deviation


def test_a_series_with_too_few_training_windows_forecasts_seasonal_naive_untrained(tmp_path, caplog):
    s = csv_settings(preprocessing__differencing="seasonal", preprocessing__time_steps=6,
                     training__epochs=3, model__architecture="lstm", model__units=4)
    model_input = windows(ingest(s, monthly_csv(tmp_path / "sales.csv", monthly(72))), s)
    windows_count = len(model_input["x_train"])  # 50 training rows - 18 = 32
    model, history = nodes.train_forecaster(model_input, s.model.model_copy(
        update={"min_train_windows": windows_count + 1}), s.training, seed=0)
    assert f"{windows_count} training windows, fewer than lstm.model.min_train_windows=" in caplog.text
    assert {len(values) for values in history.values()} == {1} and "val_loss" in history
    predicted = model.predict(model_input["x_test"].astype("float32"), verbose=0)[:, 0, 0]
    season_ago = model_input["series"][model_input["t_test"] - 12, 0]
    np.testing.assert_allclose(predicted, season_ago, rtol=1e-5)
    _, trained = nodes.train_forecaster(model_input, s.model.model_copy(
        update={"min_train_windows": windows_count}), s.training, seed=0)
    assert len(trained["loss"]) == 3


@pytest.mark.parametrize("values, changes, culprit", [
    # 30 months: 21 for training, fewer than two seasons.
    (monthly(30), {}, "sales.csv has 30 usable rows: the split leaves 21 for training, fewer than two "
                      "seasons of 12 (lstm.preprocessing.season)"),
    (monthly(120), {"preprocessing__season": 50}, "the split leaves 84 for training, fewer than two "
                                                   "seasons of 50"),
    (monthly(120) - 60, {"preprocessing__transform": "log"},
     "has values <= 0 in its training part; lstm.preprocessing.transform='log' needs positive values"),
])
def test_a_series_that_does_not_fit_its_season_or_transform_stops_in_one_line(tmp_path, values, changes,
                                                                               culprit):
    s = csv_settings(**changes)
    with pytest.raises(ConfigurationError) as raised:
        windows(ingest(s, monthly_csv(tmp_path / "sales.csv", values)), s)
    assert culprit in str(raised.value) and "\n" not in str(raised.value)


# --- parameters ----------------------------------------------------------------------------------


@pytest.mark.parametrize("change, culprit", [
    ({"dataset": "bitcoin"}, "lstm.dataset='bitcoin'"),
    ({"training__epochs": -1}, "lstm.training.epochs=-1"),
    ({"training__epochs": 2.5}, "lstm.training.epochs=2.5"),
    ({"training__learning_rate_decay": "step"}, "lstm.training.learning_rate_decay='step'"),
    ({"model__architecture": "transformer"}, "lstm.model.architecture='transformer'"),
    ({"model__dropout": 1.0}, "lstm.model.dropout=1.0"),
    ({"model__residual": "yes"}, "lstm.model.residual='yes'"),
    ({"model__unitz": 8}, "lstm.model.unitz is not a known setting"),
    ({"preprocessing__time_steps": 0}, "lstm.preprocessing.time_steps=0"),
    ({"preprocessing__gaps": "zero"}, "lstm.preprocessing.gaps='zero'"),
    ({"preprocessing__scaling": "log"}, "lstm.preprocessing.scaling='log'"),
    ({"split__test_fraction": 0.5, "split__validation_fraction": 0.5},
     "lstm.split.validation_fraction=0.5 and test_fraction=0.5 leave nothing to train on"),
    ({"generated__logistic_x0": 1.5}, "lstm.generated.logistic_x0=1.5"),
    ({"generated__length": 0}, "lstm.generated.length=0"),
    ({"csv__value_columns": []}, "lstm.csv.value_columns=[]"),
    ({"forecast__extrapolation_steps": 0}, "lstm.forecast.extrapolation_steps=0"),
    ({"preprocessing__transform": "sqrt"}, "lstm.preprocessing.transform='sqrt'"),
    ({"preprocessing__differencing": "seasonal", "preprocessing__season": 1},
     "lstm.preprocessing.differencing='seasonal' needs a season; season=1 says the series has none"),
    ({"preprocessing__season": 120}, "the split leaves 140 for training, fewer than two seasons of 120"),
    ({"preprocessing__time_steps": 150}, "lstm.generated.length=200: the series 'logistic_map' has "
                                         "200 usable rows, too few for lstm.preprocessing.time_steps=150"),
    ({"training__reduce_lr_patience": 3},
     "lstm.training are invalid: reduce_lr_patience and learning_rate_decay: cosine cannot be combined"),
])
def test_bad_parameters_are_named_in_one_line(change, culprit):
    with pytest.raises(ConfigurationError) as error:
        settings(**change)
    assert culprit in str(error.value) and "\n" not in str(error.value)


def test_documented_presets_are_valid_and_fill_every_null():
    for name, preset in raw_params("lstm")["presets"].items():
        # The settings name no file: the user_csv entry gives it, and the ingestion node checks it.
        s = app_settings("lstm", dataset=name)
        assert s.preprocessing.time_steps == preset["preprocessing"]["time_steps"]
        assert s.model.model_dump(include=set(preset["model"])) == preset["model"]
        assert s.training.learning_rate == preset["training"]["learning_rate"]
        assert s.training.batch_size == preset["training"]["batch_size"]
        assert s.forecast.extrapolation_steps == preset["forecast"]["extrapolation_steps"]


def test_explicit_values_win_over_the_preset_and_run_settings_fill_training():
    s = settings(dataset="noisy_sine", model__units=8, training__strategy="cpu")
    assert s.model.units == 8 and s.preprocessing.time_steps == 50  # the noisy_sine preset's
    assert s.training.strategy == "cpu" and s.training.precision == "float32"  # from `run`
