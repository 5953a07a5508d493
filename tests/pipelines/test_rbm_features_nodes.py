"""Nodes of the rbm_features app and the shared RBM's image additions, on the 8x8 digits."""

import keras
import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.rbm import BernoulliRBM, RbmModelSettings, RbmTraining
from dl_pipelines.core.settings import effective_settings
from dl_pipelines.pipelines.rbm_features import Settings, nodes
from dl_pipelines.pipelines.rbm_features.models import pixel_classifier
from dl_pipelines.pipelines.rbm_features.settings import ClassifierSettings, EvaluationSettings
from dl_pipelines.pipelines.rbm_features.transforms import visible_units

TRAINING = RbmTraining(epochs=8, batch_size=20, learning_rate=0.05, momentum=0.5, weight_decay=0.0001,
                       verbose=0, checkpoint_dir=None, tensorboard_dir=None)


@pytest.fixture(scope="module")
def model_input():
    digits = load_digits()
    images = np.round(digits.images * (255 / 16)).astype(np.uint8)[..., None]
    return {"x_train": images[:600], "y_train": digits.target[:600], "x_val": images[600:700],
            "y_val": digits.target[600:700], "x_test": images[700:900], "y_test": digits.target[700:900],
            "class_names": np.array([str(digit) for digit in range(10)])}


@pytest.fixture(scope="module")
def trained(model_input):
    return nodes.train_rbm(model_input, RbmModelSettings(hidden_units=32, cd_steps=1), TRAINING, seed=0)


def test_contrastive_divergence_learns_the_digits(trained, model_input):
    rbm, history = trained
    assert len(history["pseudo_log_likelihood"]) == TRAINING.epochs
    assert history["pseudo_log_likelihood"][-1] > history["pseudo_log_likelihood"][0]
    assert history["reconstruction_error"][-1] < history["reconstruction_error"][0]
    # A model of digits: they are far likelier than noise with the same mean brightness.
    digits = nodes.score_rbm(rbm, model_input, seed=0)
    rng = np.random.default_rng(0)
    noise = {**model_input, "x_test": rng.permuted(model_input["x_test"].reshape(200, -1), axis=1)
             .reshape(model_input["x_test"].shape)}
    scrambled = nodes.score_rbm(rbm, noise, seed=0)
    def value(metrics, name):
        return metrics[f"test_{name}"]["value"]

    assert value(digits, "pseudo_log_likelihood") > value(scrambled, "pseudo_log_likelihood") + 5
    assert value(digits, "reconstruction_error") < value(scrambled, "reconstruction_error")


def test_the_served_classifier_is_the_rbm_then_the_logistic_regression_on_its_units(trained, model_input):
    rbm, _ = trained
    settings = ClassifierSettings(inverse_regularization=10.0)
    classifier, baseline = nodes.fit_classifiers(rbm, model_input, settings)
    images = model_input["x_test"]
    # The served model is exactly the RBM's hidden units followed by scikit-learn's fit.
    hidden = keras.ops.convert_to_numpy(rbm.hidden_probabilities(visible_units(images)))
    refit = LogisticRegression(C=10.0, max_iter=500).fit(
        keras.ops.convert_to_numpy(rbm.hidden_probabilities(visible_units(model_input["x_train"]))),
        model_input["y_train"])
    np.testing.assert_allclose(classifier.predict(images, verbose=0), refit.predict_proba(hidden), atol=1e-4)
    metrics, table, predictions = nodes.evaluate_classifiers(classifier, baseline, model_input)
    assert 0.7 < metrics["test_accuracy"]["value"] <= 1  # 32 units, 8 epochs: far above chance (0.1)
    assert 0.5 < metrics["baseline_test_accuracy"]["value"] <= 1
    assert {"val_accuracy", "baseline_val_accuracy", "test_f1_macro", "test_recall_class_9"} <= set(metrics)
    assert len(table) == 13 and predictions["probabilities"].shape == (200, 10)


def test_a_two_class_logistic_regression_serves_as_a_softmax():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (50, 4, 4, 1), dtype=np.uint8)
    labels = (images.reshape(50, -1).mean(axis=1) > 127).astype(int)
    logistic = LogisticRegression().fit(visible_units(images), labels)
    np.testing.assert_allclose(pixel_classifier(logistic, (4, 4, 1)).predict(images, verbose=0),
                               logistic.predict_proba(visible_units(images)), atol=1e-5)


def test_figures_show_filters_reconstructions_chains_and_curves(trained, model_input):
    rbm, history = trained
    evaluation = EvaluationSettings(images_to_show=5, filters_to_show=100, gibbs_steps=[1, 20])  # 32 shown
    samples = rbm.gibbs_chain(visible_units(model_input["x_test"][:5]), 3)
    assert samples.shape == (5, 64) and 0 <= float(np.min(samples)) <= float(np.max(samples)) <= 1
    for figure in (nodes.plot_filters(rbm, model_input, evaluation),
                   nodes.plot_reconstructions(rbm, model_input, evaluation),
                   nodes.plot_gibbs_samples(rbm, model_input, evaluation),
                   nodes.plot_learning_curves(history)):
        assert isinstance(figure, Figure)


def test_the_pseudo_likelihood_option_survives_saving(tmp_path):
    rbm = BernoulliRBM(12, 3, pseudo_likelihood=True, seed=1)
    rbm.save(tmp_path / "rbm.keras")
    assert keras.saving.load_model(tmp_path / "rbm.keras").pseudo_likelihood


PARAMS = {"dataset": "digits", "split": {}, "model": {"hidden_units": 20, "cd_steps": 1},
          "training": {"epochs": 1, "batch_size": 10, "learning_rate": 0.05, "momentum": 0.5,
                       "weight_decay": 0.0}, "classifier": {"inverse_regularization": 1.0}, "evaluation": {}}


@pytest.mark.parametrize(("change", "message"), [
    ({"evaluation": {"filters_to_show": 500}}, r"filters_to_show=500 is invalid: .*or equal to 400"),
    ({"evaluation": {"gibbs_steps": [10, 1]}}, r"gibbs_steps=\[10, 1\] must be increasing"),
    ({"evaluation": {"images_to_show": 100}}, r"images_to_show=100 is invalid: .*less than or equal to 40"),
    ({"classifier": {"inverse_regularization": 0.0}}, "inverse_regularization=0.0 is invalid"),
    ({"training": {**PARAMS["training"], "precision": "mixed_float16"}}, "the RBM always trains in float32"),
])
def test_bad_settings_are_one_line(change, message):
    with pytest.raises(ConfigurationError, match=message):
        effective_settings("rbm_features", {**PARAMS, **change}, Settings)
