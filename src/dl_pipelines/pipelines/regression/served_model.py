"""The served regression model, as MLflow "models from code": MLflow logs this file with the model
and runs it on its own when the model is loaded, so serving needs Keras, scikit-learn and pandas
but not the dl_pipelines package. It imports nothing from the project, on purpose."""

import pickle

import keras
import mlflow
import numpy as np
import pandas as pd


class RawFeatureRegressor(mlflow.pyfunc.PythonModel):
    """Raw feature rows in, predictions out: the transform fitted on the training rows, then the
    network, both loaded from the model's artifacts."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        self.network = keras.saving.load_model(context.artifacts["network"])
        with open(context.artifacts["transform"], "rb") as stream:
            self.transform = pickle.load(stream)  # written by this project's own training run

    # A DataFrame hint: MLflow then validates inputs against the logged signature, which names
    # and types the feature columns, instead of inferring a schema from the hint.
    def predict(self, context: mlflow.pyfunc.PythonModelContext, model_input: pd.DataFrame,
                params: dict | None = None) -> np.ndarray:
        features = np.asarray(self.transform.transform(model_input), dtype="float32")
        return self.network.predict(features, batch_size=1024, verbose=0).reshape(-1)


mlflow.models.set_model(RawFeatureRegressor())
