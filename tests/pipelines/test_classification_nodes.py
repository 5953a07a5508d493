import fsspec
import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.class_reports import plot_confusion_matrix
from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.pipelines.classification import figures, inference, metrics, nodes, sources
from dl_pipelines.pipelines.classification.models import build_classifier
from dl_pipelines.pipelines.classification.settings import ClassifierModelSettings
from tests.conftest import SHARED_DATASETS
from tests.helpers import app_settings, raw_params

NO_FILES = RawFiles("unused", {})


def settings(**changes):
    """The project's effective classification settings, quick and file-free, with
    ``section__key=value`` changes."""
    return app_settings("classification", **changes)


def ingest(s, raw_files=NO_FILES, csv=None):
    """The ingestion node, given the file ``csv`` as the ``user_csv`` catalog entry gives it."""
    return nodes.ingest_table(raw_files, csv and fsspec.open(str(csv), "rb"), s.dataset, s.data)


def split(table, s):
    return nodes.split_table(table, s.dataset, s.data, s.split, s.preprocessing, s.seed)


@pytest.fixture(scope="module")
def iris():
    s = settings(dataset="iris")
    table = ingest(s)
    return s, table, split(table, s)


@pytest.fixture
def flowers(tmp_path):
    """A small CSV of the kind a user brings: numbers, one text feature, text class labels."""
    rng = np.random.default_rng(0)
    size = rng.uniform(1, 10, 40)
    colour = rng.choice(["red", "blue"], 40)
    kind = np.where(size + np.where(colour == "red", 3, 0) > 7, "tall", "short")
    frame = pd.DataFrame({"size": size, "weight": size * 2 + rng.normal(0, 0.1, 40), "colour": colour,
                          "kind": kind})
    path = tmp_path / "flowers.csv"
    frame.to_csv(path, index=False)
    return path, frame


def csv_settings(**changes):
    return settings(**{"dataset": "csv", "data__target": "kind", "data__categorical": ["colour"],
                       "cross_validation__folds": 2, **changes})


def test_xor_is_the_four_points_to_test_and_jittered_copies_to_learn_from():
    s = settings()
    table = ingest(s)
    assert s.dataset == "xor" and list(table.columns) == ["x1", "x2", "xor", "_split"]
    test = table[table["_split"] == "test"]
    assert test[["x1", "x2"]].to_numpy().tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert test["xor"].tolist() == ["0", "1", "1", "0"]
    arrays, _, test_rows = split(table, s)
    np.testing.assert_array_equal(arrays["x_test"], test[["x1", "x2"]].to_numpy())  # not scaled
    assert arrays["y_test"].tolist() == [0, 1, 1, 0] and len(test_rows) == 4
    assert len(arrays["x_train"]) + len(arrays["x_val"]) == 4 * sources.XOR_COPIES
    assert np.bincount(arrays["y_val"]).tolist() == [26, 26]  # stratified


def test_iris_split_is_stratified_seeded_and_scaled_on_training_rows_only(iris):
    s, table, (arrays, transform, test_rows) = iris
    assert table.shape == (150, 5) and table.attrs["dataset"] == "iris"
    assert list(arrays["class_names"]) == ["setosa", "versicolor", "virginica"]
    assert np.bincount(arrays["y_test"]).tolist() == [10, 10, 10]  # 20%, each class alike
    assert np.bincount(arrays["y_train"]).tolist() == [36, 36, 36]
    np.testing.assert_allclose(arrays["x_train"].mean(axis=0), 0, atol=1e-5)
    # The raw test rows give, through the transform, exactly the test arrays.
    np.testing.assert_allclose(transform.transform(test_rows.drop(columns="species")), arrays["x_test"],
                               rtol=1e-6)
    again, _, _ = split(table, s)
    np.testing.assert_array_equal(again["x_test"], arrays["x_test"])


def test_split_refuses_a_table_of_another_dataset(iris):
    made_from = "raw_table was made from 'iris', but classification.dataset is 'xor'"
    with pytest.raises(ConfigurationError, match=made_from):
        split(iris[1], settings())


def test_ionosphere_is_read_from_the_raw_file(tmp_path):
    source = SHARED_DATASETS / "ionosphere" / "ionosphere.csv"
    if not source.is_file():
        pytest.skip("../shared/datasets/ionosphere is not available")
    (tmp_path / "ionosphere").mkdir()
    (tmp_path / "ionosphere" / "ionosphere.data").symlink_to(source)  # as the download caches it
    table = ingest(settings(dataset="ionosphere"), RawFiles(tmp_path, {"ionosphere": {"files": {}}}))
    assert table.shape == (351, 35) and list(table.columns[[0, -1]]) == ["a01", "class"]
    assert table["class"].value_counts().to_dict() == {"g": 225, "b": 126}


def test_models_have_the_course_layers():
    logistic = build_classifier(4, 3, ClassifierModelSettings(architecture="logistic"))
    assert [type(layer).__name__ for layer in logistic.layers] == ["InputLayer", "Dense"]
    assert logistic.layers[-1].activation.__name__ == "softmax" and logistic.count_params() == 15
    binary = build_classifier(34, 2, ClassifierModelSettings(architecture="logistic"))
    assert binary.layers[-1].units == 1 and binary.layers[-1].activation.__name__ == "sigmoid"
    options = ClassifierModelSettings(architecture="dense", units=[8, 4], activation="tanh", dropout=0.2,
                                      l2=0.01)
    dense = build_classifier(2, 2, options)
    names = [type(layer).__name__ for layer in dense.layers]
    assert names == ["InputLayer", "Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert [layer.units for layer in dense.layers if hasattr(layer, "units")] == [8, 4, 1]
    assert dense.layers[1].activation.__name__ == "tanh" and dense.layers[1].kernel_regularizer is not None


def test_xor_is_learned_by_one_hidden_layer_and_not_by_the_logistic_baseline():
    s = settings(training__epochs=raw_params("classification")["presets"]["xor"]["training"]["epochs"])
    table = ingest(s)
    arrays, transform, test_rows = split(table, s)
    model, history = nodes.train_classifier(arrays, s.model, s.training, s.seed)
    folds = pd.DataFrame({"fold": [1, 2], "accuracy": [1.0, 1.0], "baseline_accuracy": [0.5, 0.4]})
    scores, report, predictions = nodes.evaluate_classifier(model, arrays)
    values = {key: entry["value"] for key, entry in {**scores, **nodes.summarise_folds(folds)}.items()}
    assert values["test_accuracy"] == 1.0 and values["test_roc_auc"] == 1.0
    assert values["baseline_test_accuracy"] <= 0.75  # no line separates XOR
    assert values["cv_accuracy_mean"] == 1.0 and values["baseline_cv_accuracy_std"] == pytest.approx(0.05)
    assert list(report["class"]) == ["0", "1", "accuracy", "macro avg", "weighted avg"]
    accuracy = report.set_index("class").loc["accuracy"]  # as scikit-learn prints it
    assert accuracy["f1-score"] == 1.0 and accuracy["support"] == len(arrays["y_test"])
    figure = figures.plot_decision_boundary(model, transform, test_rows, arrays, s.data)
    assert figure.axes[0].get_xlabel() == "x1" and len(figure.axes[0].collections) >= 3


def test_training_and_evaluation_report_every_metric_of_three_classes(iris):
    s, _, (arrays, transform, test_rows) = iris
    model, history = nodes.train_classifier(arrays, s.model, s.training, s.seed)
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy"} and len(history["loss"]) == 2
    folds = pd.DataFrame({"fold": [1], "accuracy": [0.9], "baseline_accuracy": [0.8]})
    scores, report, predictions = nodes.evaluate_classifier(model, arrays)
    assert set(nodes.summarise_folds(folds)) == {"cv_accuracy_mean", "cv_accuracy_std",
                                                  "baseline_cv_accuracy_mean", "baseline_cv_accuracy_std"}
    expected = {"test_accuracy", "test_loss", "baseline_test_accuracy", "baseline_test_loss",
                *[f"test_{stat}_{which}" for stat in ("precision", "recall", "f1")
                  for which in ("macro", "class_0", "class_1", "class_2")]}
    assert set(scores) == expected  # no ROC AUC for three classes
    assert list(report["class"][:3]) == ["setosa", "versicolor", "virginica"]
    np.testing.assert_allclose(predictions["probabilities"].sum(axis=1), 1, rtol=1e-5)
    for figure in (figures.plot_learning_curves(history), plot_confusion_matrix(predictions, arrays),
                   figures.plot_cross_validation(folds)):
        assert figure.axes
    boundary = figures.plot_decision_boundary(model, transform, test_rows, arrays, s.data)
    assert "two numeric features" in boundary.axes[0].texts[0].get_text()
    served = nodes.package_model(model, transform, test_rows, arrays, s.data)
    probabilities = served.predict(served.example)
    assert list(probabilities.columns) == ["setosa", "versicolor", "virginica"] and len(probabilities) == 5
    np.testing.assert_allclose(probabilities.to_numpy(), predictions["probabilities"][:5], rtol=1e-4)


def test_cross_validation_trains_every_fold_and_summarises_both_models(iris):
    s, table, _ = iris
    report = nodes.cross_validate(table, s.data, s.preprocessing, s.model, s.training, s.split,
                                  s.cross_validation.model_copy(update={"folds": 3}), s.seed)
    assert report["fold"].tolist() == [1, 2, 3] and report["test_rows"].sum() == 150
    assert (report["train_rows"] + report["validation_rows"] == 100).all()
    assert report["baseline_accuracy"].min() > 0.85  # logistic regression on iris
    summary = metrics.summary(report)
    assert summary["baseline_cv_accuracy_mean"] == pytest.approx(report["baseline_accuracy"].mean())
    assert summary["cv_accuracy_std"] == pytest.approx(report["accuracy"].std(ddof=0))


def test_more_folds_than_rows_of_a_class_stop_in_one_line(flowers):
    path, _ = flowers
    s = csv_settings(cross_validation__folds=30)
    table = ingest(s, csv=path)
    with pytest.raises(ConfigurationError) as error:
        nodes.cross_validate(table, s.data, s.preprocessing, s.model, s.training, s.split, s.cross_validation,
                             s.seed)
    smallest = table["kind"].value_counts().min()
    assert str(error.value) == (f"Parameter classification.cross_validation.folds=30 is more than the "
                                f"{smallest} rows of class {table['kind'].value_counts().idxmin()!r}; set it "
                                f"to {smallest} or less.")


def test_csv_text_features_are_one_hot_encoded_and_served_from_raw_rows(flowers):
    path, frame = flowers
    s = csv_settings()
    table = ingest(s, csv=path)
    assert pd.api.types.is_string_dtype(table["colour"]) and pd.api.types.is_string_dtype(table["kind"])
    arrays, transform, test_rows = split(table, s)
    assert list(arrays["feature_names"]) == ["size", "weight", "colour_blue", "colour_red"]
    assert list(arrays["class_names"]) == ["short", "tall"]
    model, _ = nodes.train_classifier(arrays, s.model, s.training, s.seed)
    served = nodes.package_model(model, transform, test_rows, arrays, s.data)
    assert list(served.example.columns) == ["size", "weight", "colour"]
    assert list(served.predict(served.example).columns) == ["short", "tall"]


@pytest.mark.parametrize("change, expected", [
    (lambda f: f.assign(kind="tall"), "Column 'kind' (classification.data.target) of {path} holds one class "
                                      "only ('tall' in all 40 rows); a classifier needs two classes or more"),
    (lambda f: f.drop(columns="kind"), "Column 'kind' (classification.data.target) is not in {path} (all 40 "
                                       "rows lack it); its columns are: size, weight, colour."),
    (lambda f: f.assign(weight=["heavy"] * 40),
     "Column 'weight' of {path} is not numeric: 40 of 40 rows hold text such as 'heavy'; list it in "
     "classification.data.categorical"),
    (lambda f: f.assign(kind=["a"] + ["b"] * 39), "Class 'a' of column 'kind' of {path} has only one row"),
])
def test_bad_csv_files_stop_with_one_line_naming_the_culprit(flowers, change, expected):
    path, frame = flowers
    change(frame).to_csv(path, index=False)
    with pytest.raises(ConfigurationError) as error:
        ingest(csv_settings(), csv=path)
    assert expected.format(path=path) in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("change, culprit", [
    ({"dataset": "wine"}, "classification.dataset='wine' is not known"),
    ({"dataset": "csv"}, "classification.data.target is not set"),
    ({"data__features": []}, "classification.data.features=[]"),
    ({"data__features": ["x1"], "data__categorical": ["x2"]},
     "Column 'x2' is in classification.data.categorical but not among the features"),
    ({"split__validation_fraction": 0}, "classification.split.validation_fraction=0"),
    ({"split__test_fraction": 1.0}, "classification.split.test_fraction=1.0"),
    ({"preprocessing__scale": "yes"}, "classification.preprocessing.scale='yes'"),
    ({"model__architecture": "svm"}, "classification.model.architecture='svm'"),
    ({"model__units": [8, 0]}, "classification.model.units.1=0"),
    ({"model__activation": "softmax"}, "classification.model.activation='softmax'"),
    ({"model__dropout": 1.0}, "classification.model.dropout=1.0"),
    ({"training__optimizer": "lbfgs"}, "classification.training.optimizer='lbfgs'"),
    ({"cross_validation__folds": 1}, "classification.cross_validation.folds=1"),
    ({"cross_validation__fold": 5}, "classification.cross_validation.fold is not a known setting"),
])
def test_bad_parameters_are_named_in_one_line(change, culprit):
    with pytest.raises(ConfigurationError) as error:
        settings(**change)
    assert culprit in str(error.value) and "\n" not in str(error.value)


def test_documented_presets_are_valid_and_fill_every_null():
    for name, preset in raw_params("classification")["presets"].items():
        user = {"data__target": "label"} if name == "csv" else {}  # the csv preset leaves it to you
        s = settings(dataset=name, **user)
        assert s.model.architecture == preset["model"]["architecture"]
        assert s.model.units == preset["model"]["units"] and s.model.dropout == preset["model"]["dropout"]
        assert s.training.learning_rate == preset["training"]["learning_rate"]
        assert s.cross_validation.folds == preset["cross_validation"]["folds"]
        assert s.data.target == preset.get("data", {}).get("target", "label")


def test_inference_classifies_the_rows_of_new_files(iris, tmp_path):
    s, _, (arrays, transform, test_rows) = iris
    model, _ = nodes.train_classifier(arrays, s.model, s.training, s.seed)
    rows = test_rows.drop(columns="species").head(3)
    rows[["petal_width", "sepal_length", "sepal_width", "petal_length"]].assign(note="x").to_csv(
        tmp_path / "b.csv", index=False)
    rows.head(1).to_csv(tmp_path / "a.csv", index=False)
    files = [fsspec.open(str(tmp_path / name), "rb") for name in ("a.csv", "b.csv")]
    table = inference.classify_new_rows(files, model, transform, ["setosa", "versicolor", "virginica"])
    assert table["file"].tolist() == ["a.csv", "b.csv", "b.csv", "b.csv"]
    assert list(table.columns[-4:]) == ["predicted_class", "probability_setosa", "probability_versicolor",
                                        "probability_virginica"]
    served = nodes.package_model(model, transform, test_rows, arrays, s.data).predict(rows)
    np.testing.assert_allclose(table.iloc[1:, -3:].to_numpy(), served.to_numpy(), atol=1e-6)
    assert table["predicted_class"].tolist()[1:] == served.idxmax(axis=1).tolist()
    rows.assign(petal_width="wide").to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(ConfigurationError, match=r"Column 'petal_width' of .*b.csv is not numeric: data row"):
        inference.classify_new_rows(files, model, transform, ["setosa", "versicolor", "virginica"])
