"""The served regression model: raw feature rows in, predictions out.

The network is trained on transformed features (scaled numbers, one-hot categories). The served
MLflow model carries the transform fitted on the training rows and applies it before the network,
so ``mlflow.pyfunc.load_model(uri).predict(rows)`` takes rows exactly as they are in the data
(a DataFrame with the feature columns) and its signature names and types those columns. The
served class lives in ``served_model.py``, which imports nothing of this package.
"""

from __future__ import annotations

import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import mlflow
import numpy as np
import pandas as pd
import sklearn
from mlflow.models import infer_signature
from mlflow.models.model import ModelInfo

from dl_pipelines.datasets import LoggedModelDataset, keras_requirements

SERVED_MODEL = Path(__file__).with_name("served_model.py")  # what MLflow loads and serves


def predict_rows(network: keras.Model, transform: Any, rows: pd.DataFrame) -> np.ndarray:
    """Predictions of ``network`` for raw feature ``rows``: transform, then the network."""
    features = np.asarray(transform.transform(rows), dtype="float32")
    return network.predict(features, batch_size=1024, verbose=0).reshape(-1)


@dataclass
class TrainedRegressor:
    """What the evaluation stage hands to MLflow: the network, the fitted transform, and a few
    raw test rows (the input example, from which the signature is read)."""

    network: keras.Model
    transform: Any
    example: pd.DataFrame

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        return predict_rows(self.network, self.transform, rows)


class RegressionModelDataset(LoggedModelDataset):
    """The served model of a :class:`TrainedRegressor`: an MLflow pyfunc model whose artifacts are
    the ``.keras`` network and the pickled transform, with the signature and input example read
    from the raw example rows; registered as ``registered_model_name``.

    Example (``conf/base/catalog_regression.yml``)::

        regression.mlflow_model:
          type: dl_pipelines.pipelines.regression.serving.RegressionModelDataset
          name: regression_model
          registered_model_name: dl_pipelines.regression
    """

    def log(self, model: TrainedRegressor, name: str, registered_model_name: str | None) -> ModelInfo:
        with tempfile.TemporaryDirectory() as folder:
            network_path, transform_path = Path(folder, "network.keras"), Path(folder, "transform.pkl")
            model.network.save(network_path)
            transform_path.write_bytes(pickle.dumps(model.transform))
            return mlflow.pyfunc.log_model(
                name=name,
                python_model=str(SERVED_MODEL),  # models from code: no dl_pipelines needed to serve
                artifacts={"network": str(network_path), "transform": str(transform_path)},
                signature=infer_signature(model.example, model.predict(model.example)),
                input_example=model.example,
                # Stated, not inferred (MLflow's inference reloads the model in a subprocess).
                pip_requirements=[*keras_requirements(), f"scikit-learn=={sklearn.__version__}",
                                  f"pandas=={pd.__version__}"],
                registered_model_name=registered_model_name,
            )
