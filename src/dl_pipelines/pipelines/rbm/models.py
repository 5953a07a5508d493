"""The rbm app's served model: the trained RBM's recommender pass as a plain Keras model."""

from __future__ import annotations

import keras
from keras import ops

from dl_pipelines.core.rbm import BernoulliRBM


def recommender(rbm: BernoulliRBM) -> keras.Model:
    """The trained RBM's recommender ``call`` as a plain functional model (two Dense layers sharing
    its weights), so ``mlflow.pyfunc.load_model`` serves it without this package installed.

    Input: a user's visible vector (float32, one unit per movie); output: per movie the
    probability the RBM turns it on, the recommendation score.
    """
    visible = keras.Input(shape=(rbm.visible_units,), name="visible")
    hidden = keras.layers.Dense(rbm.hidden_units, activation="sigmoid", name="hidden")(visible)
    scores = keras.layers.Dense(rbm.visible_units, activation="sigmoid", name="scores")(hidden)
    model = keras.Model(visible, scores, name="rbm_recommender")
    kernel = ops.convert_to_numpy(rbm.kernel)
    model.get_layer("hidden").set_weights([kernel, ops.convert_to_numpy(rbm.hidden_bias)])
    model.get_layer("scores").set_weights([kernel.T, ops.convert_to_numpy(rbm.visible_bias)])
    return model
