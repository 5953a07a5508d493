import fsspec
import keras
import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.table_serving import TrainedTableModel
from dl_pipelines.pipelines.regression import figures, nodes, sources
from dl_pipelines.pipelines.regression.models import build_regressor
from dl_pipelines.pipelines.regression.settings import RegressionModelSettings
from tests.helpers import app_settings, raw_params

NO_FILES = RawFiles("unused", {})


def settings(**changes):
    """The project's effective regression settings, quick and file-free, with
    ``section__key=value`` changes."""
    return app_settings("regression", **changes)


def csv_settings(**changes):
    return settings(**{"dataset": "csv", "data__target": "price", **changes})


def ingest(s, raw_files=NO_FILES, csv=None):
    """The ingestion node, given the file ``csv`` as the ``user_csv`` catalog entry gives it."""
    return nodes.ingest_table(raw_files, csv and fsspec.open(str(csv), "rb"), s.dataset, s.data)


def split(table, s):
    return nodes.split_table(table, s.dataset, s.data, s.split, s.preprocessing, s.seed)


def regressor(**options):
    return RegressionModelSettings(**options)


@pytest.fixture(scope="module")
def diabetes():
    return ingest(settings())


@pytest.fixture(scope="module")
def model_input(diabetes):
    return split(diabetes, settings())


@pytest.fixture
def houses(tmp_path):
    """A small CSV of the kind a user brings: numbers, one text column, a target."""
    rng = np.random.default_rng(0)
    rooms = rng.integers(1, 6, 40).astype(float)
    city = rng.choice(["Paris", "Lyon", "Nice"], 40)
    price = 50 * rooms + np.where(city == "Paris", 100, 0) + rng.normal(0, 1, 40)
    frame = pd.DataFrame({"rooms": rooms, "area": rooms * 20 + 5, "city": city, "price": price})
    path = tmp_path / "houses.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_diabetes_table_has_raw_features_and_the_target(diabetes):
    assert diabetes.shape == (442, 11) and diabetes.attrs["dataset"] == "diabetes"
    assert list(diabetes.columns[:4]) == ["age", "sex", "bmi", "bp"]
    assert diabetes["age"].between(19, 79).all()  # raw ages, not scikit-learn's scaled values
    assert (diabetes.dtypes == "float64").all()


def test_split_is_seeded_disjoint_and_scaled_on_training_rows_only(diabetes, model_input):
    arrays, transform, test_rows = model_input
    sizes = {k: len(arrays[k]) for k in ("x_train", "x_val", "x_test")}
    assert sum(sizes.values()) == 442 and sizes["x_test"] == 89
    assert sizes["x_val"] == pytest.approx(0.2 * 353, abs=1)
    np.testing.assert_allclose(arrays["x_train"].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(arrays["x_train"].std(axis=0), 1, atol=1e-3)
    assert np.abs(arrays["x_test"].mean(axis=0)).max() > 0.01  # test rows did not shape the scaler
    assert arrays["x_train"].dtype == np.float32 and list(arrays["feature_names"])[:2] == ["age", "sex"]
    # The raw test rows give, through the transform, exactly the test arrays.
    np.testing.assert_allclose(transform.transform(test_rows.drop(columns="progression")),
                               arrays["x_test"], rtol=1e-5)
    np.testing.assert_array_equal(test_rows["progression"], arrays["y_test"])
    again, _, _ = split(diabetes, settings())
    np.testing.assert_array_equal(again["y_test"], arrays["y_test"])
    other, _, _ = split(diabetes, settings(seed=7))
    assert not np.array_equal(other["y_test"], arrays["y_test"])


def test_split_refuses_a_table_of_another_dataset(diabetes):
    fix = "kedro run --pipelines=regression_ingestion --params regression.dataset=linear_toy"
    with pytest.raises(ConfigurationError, match=fix):
        split(diabetes, settings(dataset="linear_toy"))


def test_linear_toy_learns_from_the_course_points_and_is_tested_further_along_the_line():
    table = ingest(settings(dataset="linear_toy"))
    arrays, _, test_rows = split(table, settings(dataset="linear_toy"))
    np.testing.assert_array_equal(arrays["x_train"][:, 0], [-1, 0, 1, 2, 3, 4])  # not scaled
    np.testing.assert_array_equal(arrays["y_train"], [-3, -1, 1, 3, 5, 7])
    assert len(arrays["x_val"]) == 0 and arrays["x_val"].shape == (0, 1)
    assert list(test_rows["x"]) == [5, 6, 7, 8, 9, 10] and list(test_rows["y"])[-1] == 19


def test_boston_housing_split_is_the_keras_one(tmp_path):
    """load_data() of keras.datasets.boston_housing: RandomState(113) shuffle, 80/20 split."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(506, 13)), rng.normal(size=506)
    (tmp_path / "boston_housing").mkdir()
    np.savez(tmp_path / "boston_housing" / "boston_housing.npz", x=x, y=y)
    table = ingest(settings(dataset="boston_housing"), RawFiles(tmp_path, {"boston_housing": {"files": {}}}))
    indices = np.arange(506)
    np.random.RandomState(113).shuffle(indices)
    train, test = table[table["_split"] == "train"], table[table["_split"] == "test"]
    assert (len(train), len(test)) == (404, 102)
    np.testing.assert_array_equal(train[sources.BOSTON_COLUMNS].to_numpy(), x[indices[:404]])
    np.testing.assert_array_equal(test["MEDV"].to_numpy(), y[indices[404:]])
    arrays, _, _ = split(table, settings(dataset="boston_housing"))
    assert len(arrays["x_test"]) == 102 and len(arrays["x_train"]) + len(arrays["x_val"]) == 404


def test_csv_categorical_column_is_one_hot_encoded_and_served_from_raw_rows(houses):
    path, frame = houses
    s = csv_settings(data__categorical=["city"])
    table = ingest(s, csv=path)
    assert table["city"].dtype != "float64" and table["rooms"].dtype == "float64"
    arrays, transform, test_rows = split(table, s)
    assert list(arrays["feature_names"]) == ["rooms", "area", "city_Lyon", "city_Nice", "city_Paris"]
    model = build_regressor(5, regressor(architecture="linear", l2=0.0))
    served = TrainedTableModel(model, transform, test_rows.drop(columns="price").head(3))
    expected = model.predict(arrays["x_test"][:3], verbose=0).reshape(-1)
    np.testing.assert_allclose(served.predict(served.example), expected, rtol=1e-5)
    # An unseen category is encoded as all zeros, not an error.
    unseen = served.example.assign(city="Brest")
    assert np.isfinite(served.predict(unseen)).all()


def test_csv_features_parameter_selects_columns(houses):
    path, _ = houses
    table = ingest(csv_settings(data__features=["rooms"]), csv=path)
    assert list(table.columns) == ["rooms", "price"]


@pytest.mark.parametrize(("change", "expected"), [
    ({"data__target": "cost"},
     r"^Column 'cost' \(regression.data.target\) is not in .*houses.csv \(all 40 rows lack it\); "
     r"its columns are: rooms, area, city, price\.$"),
    ({}, r"^Column 'city' of .*houses.csv is not numeric: 40 of 40 rows hold text such as '\w+'; "
         r"list it in regression.data.categorical to one-hot encode it"),
    ({"data__features": ["rooms", "garden"]}, r"^Column 'garden' \(regression.data.features\)"),
])
def test_bad_csv_columns_stop_with_one_line_naming_column_and_rows(houses, change, expected):
    path, _ = houses
    with pytest.raises(ConfigurationError, match=expected) as error:
        ingest(csv_settings(**change), csv=path)
    assert "\n" not in str(error.value)


def test_missing_values_stop_with_column_and_row_count(houses):
    path, frame = houses
    frame.loc[[4, 9, 30], "area"] = np.nan
    frame.to_csv(path, index=False)
    expected = (r"^Column 'area' of .*houses.csv has no value in 3 of 40 rows \(first: data row 5\); "
                r"fill or drop those rows\.$")
    with pytest.raises(ConfigurationError, match=expected):
        ingest(csv_settings(data__categorical=["city"]), csv=path)


def test_text_in_a_numeric_column_is_counted(houses):
    path, frame = houses
    frame["rooms"] = frame["rooms"].astype(object)
    frame.loc[[1, 2], "rooms"] = "three"  # (pandas itself reads "n/a", "NA", "" as missing values)
    frame.to_csv(path, index=False)
    with pytest.raises(ConfigurationError, match=r"Column 'rooms' .* 2 of 40 rows hold text such as 'three'"):
        ingest(csv_settings(data__categorical=["city"]), csv=path)


@pytest.mark.parametrize(("change", "culprit"), [
    ({"dataset": "mnist"}, "regression.dataset='mnist' is not known"),
    ({"dataset": "csv"}, "regression.data.target is not set"),
    ({"seed": -1}, "regression.seed=-1"),
    ({"data__target": ""}, "regression.data.target=''"),
    ({"data__categorical": "city"}, "regression.data.categorical='city'"),
    ({"data__features": []}, "regression.data.features=[]"),
    ({"data__features": ["age"], "data__categorical": ["sex"]},
     "Column 'sex' is in regression.data.categorical but not among the features"),
    ({"data__colums": ["age"]}, "regression.data.colums is not a known setting"),
    ({"split__validation_fraction": 1.0}, "regression.split.validation_fraction=1.0"),
    ({"split__validation_fraction": -0.1}, "regression.split.validation_fraction=-0.1"),
    ({"split__test_fraction": 0}, "regression.split.test_fraction=0"),
    ({"preprocessing__scale": "yes"}, "regression.preprocessing.scale='yes'"),
    ({"model__architecture": "cnn"}, "regression.model.architecture='cnn'"),
    ({"model__units": []}, "regression.model.units=[]"),
    ({"model__units": [100, 0]}, "regression.model.units.1=0"),
    ({"model__l2": -0.01}, "regression.model.l2=-0.01"),
    ({"model__dropout": 1.5}, "regression.model.dropout=1.5"),
    ({"model__batch_norm": "yes"}, "regression.model.batch_norm='yes'"),
    ({"model__standardize_target": 1}, "regression.model.standardize_target=1"),
    ({"training__optimizer": "lbfgs"}, "regression.training.optimizer='lbfgs'"),
    ({"training__epochs": -1}, "regression.training.epochs=-1"),
    ({"training__batch_size": 0}, "regression.training.batch_size=0"),
    ({"gradient_tape__epochs": 2.5}, "regression.gradient_tape.epochs=2.5"),
    ({"gradient_tape__learning_rate": 0}, "regression.gradient_tape.learning_rate=0"),
])
def test_bad_parameters_are_named_in_one_line(change, culprit):
    with pytest.raises(ConfigurationError) as error:
        settings(**change)
    assert culprit in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("csv, culprit", [
    (None, "regression.dataset=csv needs your CSV file: --params csv_path=data/01_raw/my.csv"),
    ("nowhere.csv", "nowhere.csv does not exist; expected your CSV file: --params csv_path="),
])
def test_a_csv_file_not_given_or_not_there_stops_the_ingestion_in_one_line(csv, culprit):
    with pytest.raises(ConfigurationError) as error:
        ingest(settings(dataset="csv", data__target="y"), csv=csv)
    assert culprit in str(error.value)
    assert "\n" not in str(error.value)


def test_no_validation_set_is_a_valid_choice():
    assert settings(split__validation_fraction=0).split.validation_fraction == 0


def test_documented_presets_are_valid_and_fill_every_null():
    for name, preset in raw_params("regression")["presets"].items():
        # The csv preset leaves the target to the user.
        user = {"data__target": "y"} if name == "csv" else {}
        s = settings(dataset=name, **user)
        assert s.model.architecture == preset["model"]["architecture"]
        assert s.split.validation_fraction == preset["split"]["validation_fraction"]
        assert s.training.batch_size == preset["training"]["batch_size"]
        assert s.gradient_tape.learning_rate == preset["gradient_tape"]["learning_rate"]
        assert s.data.target == preset.get("data", {}).get("target", "y")
        # Only for the user's CSV: the other datasets' documented figures stay as measured.
        assert s.model.standardize_target is preset["model"]["standardize_target"] is (name == "csv")


def test_explicit_values_win_over_the_preset_and_run_settings_fill_training():
    s = settings(dataset="boston_housing", model__l2=0.001, training__strategy="cpu")
    assert s.model.l2 == 0.001 and s.model.architecture == "deep"  # the boston_housing preset's
    assert s.training.strategy == "cpu" and s.training.precision == "float32"  # from `run`


def test_models_have_the_course_layers():
    linear = build_regressor(3, regressor(architecture="linear", l2=0.0))
    assert [type(layer).__name__ for layer in linear.layers] == ["InputLayer", "Dense"]
    assert linear.layers[-1].units == 1 and linear.count_params() == 4
    deep = build_regressor(3, regressor(architecture="deep", units=[100, 100], l2=0.0,
                                        dropout=0.0, batch_norm=False))
    dense = [layer for layer in deep.layers if type(layer).__name__ == "Dense"]
    assert [layer.units for layer in dense] == [100, 100, 1]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "linear"]
    options = build_regressor(3, regressor(architecture="deep", units=[8], l2=0.01, dropout=0.3,
                                           batch_norm=True))
    names = [type(layer).__name__ for layer in options.layers]
    assert names == ["InputLayer", "Dense", "BatchNormalization", "Activation", "Dropout", "Dense"]
    assert options.layers[1].kernel_regularizer is not None


def test_linear_toy_is_recovered_both_ways():
    s = settings(dataset="linear_toy", training__epochs=20)  # the preset's 40, halved
    table = ingest(s)
    arrays, _, _ = split(table, s)
    tape = nodes.fit_by_gradient_tape(arrays, s.gradient_tape)
    assert tape["w"].shape == (501, 1) and tape["b"].shape == (501,) and tape["loss"].shape == (501,)
    assert tape["w"][0, 0] == 0 and tape["loss"][-1] < tape["loss"][0]
    model, history = nodes.train_regressor(arrays, s.model, s.training, s.seed)
    assert len(history["w"]) == len(history["b"]) == 20
    metrics, predictions = nodes.evaluate_regressor(model, arrays, tape)
    values = {key: entry["value"] for key, entry in metrics.items()}
    for way in ("gradient_tape", "keras"):
        assert values[f"{way}_w"] == pytest.approx(2, abs=0.01)
        assert values[f"{way}_b"] == pytest.approx(-1, abs=0.01)
    assert values["test_r2"] > 0.999 and values["baseline_test_mae"] < 1e-3
    assert predictions["y_pred"][-1] == pytest.approx(19, abs=0.1)  # the course's x = 10
    assert type(model).__name__ == "Functional"  # the weight-tracing class is dropped for saving
    figure = figures.plot_weight_paths(tape, history, arrays)
    assert len(figure.axes) == 3


def test_evaluation_metrics_figures_and_the_served_model(model_input):
    arrays, transform, test_rows = model_input
    s = settings(training__epochs=2, gradient_tape__epochs=5)
    model, history = nodes.train_regressor(arrays, s.model, s.training, s.seed)
    tape = nodes.fit_by_gradient_tape(arrays, s.gradient_tape)
    metrics, predictions = nodes.evaluate_regressor(model, arrays, tape)
    assert {"test_mse", "test_mae", "test_r2", "baseline_test_mse", "baseline_test_mae",
            "baseline_test_r2", "gradient_tape_test_mse", "gradient_tape_test_mae",
            "gradient_tape_test_r2"} == set(metrics)
    assert all(entry["step"] == 0 for entry in metrics.values())
    assert 0.4 < metrics["baseline_test_r2"]["value"] < 0.5  # least squares on diabetes
    for figure in (figures.plot_learning_curves(history), figures.plot_predicted_vs_actual(predictions),
                   figures.plot_residuals(predictions), figures.plot_weight_paths(tape, history, arrays)):
        assert figure.axes
    served = nodes.package_model(model, transform, test_rows, s.data)
    assert list(served.example.columns) == list(arrays["feature_names"]) and len(served.example) == 5
    np.testing.assert_allclose(served.predict(served.example), predictions["y_pred"][:5], rtol=1e-4)


@pytest.fixture
def large_target(tmp_path):
    """A user's table whose target is far from 0: y = 250000 + 3000 x + noise."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 300)
    frame = pd.DataFrame({"x": x, "price": 250_000 + 3_000 * x + rng.normal(0, 1_000, 300)})
    path = tmp_path / "large_target.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("standardize", [True, False])
def test_standardize_target_predicts_a_large_target_in_its_own_units(large_target, tmp_path, standardize):
    s = csv_settings(training__epochs=8, model__standardize_target=standardize)
    arrays, transform, test_rows = split(ingest(s, csv=large_target), s)
    model, history = nodes.train_regressor(arrays, s.model, s.training, s.seed)
    tape = nodes.fit_by_gradient_tape(arrays, s.gradient_tape)
    metrics, predictions = nodes.evaluate_regressor(model, arrays, tape)
    r2 = metrics["test_r2"]["value"]
    if not standardize:  # the raw target: the output stays near 0, far below the prices
        assert r2 < 0 and type(model.layers[-1]).__name__ == "Dense"
        return
    assert r2 > 0.9
    rescale = model.layers[-1]
    assert type(rescale).__name__ == "Rescaling"
    y_train = arrays["y_train"].astype("float64")
    assert rescale.offset == pytest.approx(y_train.mean()) and rescale.scale == pytest.approx(y_train.std())
    assert history["loss"][-1] < 1  # the network itself learns the standardised target
    # The saved network loads with plain Keras (no custom objects) and predicts the same prices.
    model.save(tmp_path / "network.keras")
    loaded = keras.saving.load_model(tmp_path / "network.keras")
    np.testing.assert_allclose(loaded.predict(arrays["x_test"], verbose=0).reshape(-1),
                               predictions["y_pred"], rtol=1e-5)
    served = nodes.package_model(model, transform, test_rows, s.data)
    np.testing.assert_allclose(served.predict(served.example), predictions["y_pred"][:5], rtol=1e-5)


def test_standardize_target_turns_off_the_w_b_trace_of_the_linear_model():
    s = settings(dataset="linear_toy", training__epochs=3, model__standardize_target=True)
    arrays, _, _ = split(ingest(s), s)
    model, history = nodes.train_regressor(arrays, s.model, s.training, s.seed)
    assert "w" not in history and model.name == "linear"
    metrics, _ = nodes.evaluate_regressor(model, arrays, nodes.fit_by_gradient_tape(arrays, s.gradient_tape))
    assert "keras_w" not in metrics and "gradient_tape_w" in metrics
