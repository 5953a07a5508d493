"""The served classifiers: raw uint8 images in, class probabilities out.

Both are plain Keras models built from fitted weights (the RBM's and scikit-learn's logistic
regressions), so ``mlflow.pyfunc.load_model`` serves them without this package, and each carries
its own scaling of the pixels.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops
from sklearn.linear_model import LogisticRegression

from dl_pipelines.core.rbm import BernoulliRBM


def _softmax_weights(logistic: LogisticRegression) -> list[np.ndarray]:
    """The fitted logistic regression as the kernel and bias of a softmax layer. A two-class fit
    has one row of coefficients z; logits (0, z) give the same probabilities under a softmax."""
    coefficients, intercepts = logistic.coef_, logistic.intercept_
    if len(coefficients) == 1:
        coefficients = np.vstack([np.zeros_like(coefficients), coefficients])
        intercepts = np.concatenate([[0.0], intercepts])
    return [coefficients.T.astype(np.float32), intercepts.astype(np.float32)]


def _pixels(image_shape: tuple[int, ...]) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    images = keras.Input(shape=image_shape, name="images")
    return images, keras.layers.Flatten()(keras.layers.Rescaling(1 / 255)(images))


def feature_classifier(rbm: BernoulliRBM, logistic: LogisticRegression, image_shape: tuple[int, ...]
                       ) -> keras.Model:
    """Image -> the RBM's hidden-unit probabilities -> the logistic regression fitted on them."""
    images, pixels = _pixels(image_shape)
    hidden = keras.layers.Dense(rbm.hidden_units, activation="sigmoid", name="rbm_hidden")(pixels)
    classes = len(logistic.classes_)
    probabilities = keras.layers.Dense(classes, activation="softmax", name="logistic_regression")(hidden)
    model = keras.Model(images, probabilities, name="rbm_feature_classifier")
    model.get_layer("rbm_hidden").set_weights([ops.convert_to_numpy(rbm.kernel),
                                               ops.convert_to_numpy(rbm.hidden_bias)])
    model.get_layer("logistic_regression").set_weights(_softmax_weights(logistic))
    return model


def pixel_classifier(logistic: LogisticRegression, image_shape: tuple[int, ...]) -> keras.Model:
    """Image -> the logistic regression fitted on the raw pixels (the baseline)."""
    images, pixels = _pixels(image_shape)
    classes = len(logistic.classes_)
    probabilities = keras.layers.Dense(classes, activation="softmax", name="logistic_regression")(pixels)
    model = keras.Model(images, probabilities, name="pixel_classifier")
    model.get_layer("logistic_regression").set_weights(_softmax_weights(logistic))
    return model
