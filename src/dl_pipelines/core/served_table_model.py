"""The served model of a table app (regression, classification), as MLflow "models from code":
MLflow logs this file with the model and runs it on its own when the model is loaded, so serving
needs Keras, scikit-learn and pandas but not the dl_pipelines package. It imports nothing from
the project, on purpose."""

import json
import pickle

import keras
import mlflow
import numpy as np
import pandas as pd


class RawFeatureModel(mlflow.pyfunc.PythonModel):
    """Raw feature rows in; the transform fitted on the training rows, then the network, both
    loaded from the model's artifacts. Out: predictions, or for a classifier (an artifact
    ``classes``) one probability column per class."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        self.network = keras.saving.load_model(context.artifacts["network"])
        with open(context.artifacts["transform"], "rb") as stream:
            self.transform = pickle.load(stream)  # written by this project's own training run
        self.classes = None
        if "classes" in context.artifacts:
            with open(context.artifacts["classes"]) as stream:
                self.classes = json.load(stream)

    # A DataFrame hint: MLflow then validates inputs against the logged signature, which names
    # and types the feature columns, instead of inferring a schema from the hint.
    def predict(self, context: mlflow.pyfunc.PythonModelContext, model_input: pd.DataFrame,
                params: dict | None = None) -> np.ndarray | pd.DataFrame:
        features = np.asarray(self.transform.transform(model_input), dtype="float32")
        outputs = self.network.predict(features, batch_size=1024, verbose=0)
        if self.classes is None:
            return outputs.reshape(-1)
        if outputs.shape[1] == 1:  # a sigmoid unit: the probability of the second class
            outputs = np.concatenate([1 - outputs, outputs], axis=1)
        return pd.DataFrame(outputs, columns=self.classes)


mlflow.models.set_model(RawFeatureModel())
