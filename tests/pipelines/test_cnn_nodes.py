from typing import get_args

import numpy as np
import pytest

from dl_pipelines.core.classifiers import ClassifierSettings, build_classifier
from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.images import ingest_images, split_images
from dl_pipelines.core.sweep import plot_sweep
from dl_pipelines.pipelines.cnn import create_pipelines, nodes
from tests.helpers import app_settings, raw_params

ARCHITECTURES = get_args(ClassifierSettings.model_fields["architecture"].annotation)


def settings(**changes):
    return app_settings("cnn", **changes)


def split(images, s):
    return split_images(images, s.dataset, s.split, s.seed, app="cnn")


def classifier(**options):
    return ClassifierSettings(**options)


@pytest.fixture(scope="module")
def digits():
    return ingest_images(RawFiles("unused", {}), "digits")


@pytest.fixture(scope="module")
def model_input(digits):
    return split(digits, settings())


def test_split_is_stratified_seeded_and_disjoint(digits, model_input):
    sizes = {k: len(model_input[k]) for k in ("x_train", "x_val", "x_test")}
    assert sum(sizes.values()) == 1797
    assert sizes["x_test"] == pytest.approx(0.2 * 1797, abs=1)
    assert sizes["x_val"] == pytest.approx(0.1 * 0.8 * 1797, abs=2)
    for part in ("y_train", "y_val", "y_test"):
        assert set(np.unique(model_input[part])) == set(range(10))
    again = split(digits, settings())
    np.testing.assert_array_equal(again["x_test"], model_input["x_test"])
    other = split(digits, settings(seed=7))
    assert not np.array_equal(other["y_test"], model_input["y_test"])


def test_published_test_split_is_kept():
    rng = np.random.default_rng(0)
    images = {"x_train": rng.integers(0, 255, (100, 4, 4, 1), dtype=np.uint8),
              "y_train": np.repeat(np.arange(10), 10).astype(np.uint8),
              "x_test": rng.integers(0, 255, (7, 4, 4, 1), dtype=np.uint8),
              "y_test": np.arange(7).astype(np.uint8),
              "class_names": np.array(list("0123456789")), "dataset": np.array("mnist")}
    parts = split(images, settings(dataset="mnist"))
    np.testing.assert_array_equal(parts["x_test"], images["x_test"])
    assert len(parts["x_train"]) + len(parts["x_val"]) == 100


def test_split_refuses_images_of_another_dataset(digits):
    fix = "kedro run --pipelines=cnn_ingestion --params cnn.dataset=mnist"
    with pytest.raises(ConfigurationError, match=fix):
        split(digits, settings(dataset="mnist"))


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_architecture_takes_raw_uint8_images(architecture):
    model = build_classifier((28, 28, 1), 10, classifier(architecture=architecture, units=16,
                                                         filters=4, dropout=0.5, l2=1e-4))
    out = model.predict(np.full((2, 28, 28, 1), 255, dtype=np.uint8), verbose=0)
    assert out.shape == (2, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-5)
    assert model.inputs[0].dtype == "uint8"


def test_course_architectures_have_the_course_layers():
    strided = build_classifier((28, 28, 1), 10, classifier(architecture="strided_cnn", units=128,
                                                           filters=64, l2=0))
    convs = [layer for layer in strided.layers if layer.name.startswith("conv2d")]
    assert [(c.filters, c.kernel_size, c.strides) for c in convs] == [(64, (5, 5), (2, 2))] * 2
    deep = build_classifier((28, 28, 1), 10, classifier(architecture="pooled_cnn", filters=32,
                                                        convs_per_block=2, batch_norm=True))
    assert [c.filters for c in deep.layers if c.name.startswith("conv2d")] == [32, 32, 64, 64]
    assert sum(layer.name.startswith("batch_normalization") for layer in deep.layers) == 4
    dense = build_classifier((8, 8, 1), 10, classifier(architecture="dense", units=128, l2=0))
    assert [layer.units for layer in dense.layers if hasattr(layer, "units")] == [128, 128, 10]


def test_training_learns_and_evaluation_reports_every_metric(model_input):
    s = settings(training__epochs=3)
    model, history = nodes.train_classifier(model_input, s.model, s.training, s.seed)
    assert len(history["loss"]) == 3 and history["loss"][-1] < history["loss"][0]
    metrics, report, predictions = nodes.evaluate_classifier(model, model_input)
    assert metrics["test_accuracy"]["value"] > 0.5  # far above chance (0.1) after 3 epochs
    assert {"test_loss", "test_f1_macro", "test_precision_class_9", "test_recall_class_0"} <= set(metrics)
    assert len(report) == 10 + 3  # classes + accuracy, macro avg, weighted avg
    assert predictions["y_pred"].shape == model_input["y_test"].shape
    fig = nodes.plot_misclassified(predictions, model_input, s.evaluation)
    assert fig.axes


def test_zero_epochs_gives_an_untrained_model_and_empty_history(model_input):
    s = settings(training__epochs=0)
    model, history = nodes.train_classifier(model_input, s.model, s.training, s.seed)
    assert history == {} and model.count_params() > 0
    assert nodes.plot_learning_curves(history) is not None


def test_grid_search_returns_one_row_per_combination(model_input):
    s = settings(grid_search__grid={"training.learning_rate": [0.001, 0.01], "model.l2": [0.0]},
                 grid_search__epochs=1)
    (sweep, _) = create_pipelines()["cnn_grid_search"].nodes  # the sweep's training, then its figure
    results, histories = sweep.func(model_input, s.model, s.training, s.seed, s.grid_search)
    assert results[["training.learning_rate", "model.l2"]].values.tolist() == [[0.001, 0.0], [0.01, 0.0]]
    assert results["best_val_accuracy"].between(0, 1).all() and (results["epochs"] == 1).all()
    assert list(histories) == [f"training.learning_rate={lr} model.l2=0.0" for lr in (0.001, 0.01)]
    assert plot_sweep(results, histories).axes


@pytest.mark.parametrize("change, culprit", [
    ({"dataset": "imagenet"}, "cnn.dataset='imagenet'"),
    ({"training__epochs": -1}, "cnn.training.epochs=-1"),
    ({"training__epochs": 2.5}, "cnn.training.epochs=2.5"),
    ({"training__epochz": 3}, "cnn.training.epochz is not a known setting"),
    ({"training__batch_size": 0}, "cnn.training.batch_size=0"),
    ({"training__learning_rate": -0.1}, "cnn.training.learning_rate=-0.1"),
    ({"training__optimizer": "adamw2"}, "cnn.training.optimizer='adamw2'"),
    ({"training__strategy": "tpu"}, "cnn.training.strategy='tpu'"),
    ({"model__architecture": "resnet"}, "cnn.model.architecture='resnet'"),
    ({"model__dropout": 1.0}, "cnn.model.dropout=1.0"),
    ({"model__convs_per_block": 0}, "cnn.model.convs_per_block=0"),
    ({"model__batch_norm": "yes"}, "cnn.model.batch_norm='yes'"),
    ({"split__validation_fraction": 0}, "cnn.split.validation_fraction=0"),
    ({"grid_search__grid": {"training.learning_rate": []}}, "cnn.grid_search.grid.training.learning_rate=[]"),
    ({"grid_search__grid": {"training.learning_rat": [0.1]}},
     "cnn.grid_search.grid names 'training.learning_rat', not a setting a sweep can change"),
    ({"grid_search__grid": {"model.l2": [-1.0]}}, "cnn.grid_search.grid.model.l2 holds -1.0"),
    ({"preset": "mnist_fast"}, "cnn.preset='mnist_fast' is for dataset 'mnist'"),
    ({"training__reduce_lr_patience": 2, "training__learning_rate_decay": "cosine"},
     "cannot be combined"),
])
def test_bad_parameters_are_named_in_one_line(change, culprit):
    with pytest.raises(ConfigurationError) as error:
        settings(**change)
    assert culprit in str(error.value) and "\n" not in str(error.value)


def test_documented_presets_are_valid_and_fill_every_null():
    for name, preset in raw_params("cnn")["presets"].items():
        s = settings(dataset=preset.get("dataset", name), preset=name)
        assert s.model.architecture == preset["model"]["architecture"]
        assert s.training.batch_size == preset["training"]["batch_size"]


def test_explicit_values_win_over_the_preset_and_run_settings_fill_training():
    s = settings(dataset="mnist", model__filters=8, training__strategy="cpu")
    assert s.model.filters == 8 and s.model.convs_per_block == 2  # the MNIST preset's
    assert s.training.strategy == "cpu" and s.training.precision == "float32"  # from `run`
