"""The served model of a table app (regression, classification): raw feature rows in,
predictions or class probabilities out.

The network is trained on transformed features (scaled numbers, one-hot categories). The served
MLflow model carries the transform fitted on the training rows and applies it before the network,
so ``mlflow.pyfunc.load_model(uri).predict(rows)`` takes rows exactly as they are in the data
(a DataFrame with the feature columns) and its signature names and types those columns. The
served class lives in ``served_table_model.py``, which imports nothing of this package.
"""

from __future__ import annotations

import json
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

SERVED_MODEL = Path(__file__).with_name("served_table_model.py")  # what MLflow loads and serves


def network_outputs(network: keras.Model, transform: Any, rows: pd.DataFrame) -> np.ndarray:
    """What ``network`` answers for raw feature ``rows``: transform, then the network."""
    features = np.asarray(transform.transform(rows), dtype="float32")
    return network.predict(features, batch_size=1024, verbose=0)


def class_probabilities(outputs: np.ndarray) -> np.ndarray:
    """One probability column per class; a sigmoid unit gives the second class's."""
    return np.concatenate([1 - outputs, outputs], axis=1) if outputs.shape[1] == 1 else outputs


@dataclass
class TrainedTableModel:
    """What the evaluation stage hands to MLflow: the network, the fitted transform, a few raw
    test rows (the input example, from which the signature is read) and, for a classifier, the
    name of each class."""

    network: keras.Model
    transform: Any
    example: pd.DataFrame
    classes: list[str] | None = None

    def predict(self, rows: pd.DataFrame) -> np.ndarray | pd.DataFrame:
        outputs = network_outputs(self.network, self.transform, rows)
        if self.classes is None:
            return outputs.reshape(-1)
        return pd.DataFrame(class_probabilities(outputs), columns=self.classes)


class TableModelDataset(LoggedModelDataset):
    """The served model of a :class:`TrainedTableModel`: an MLflow pyfunc model whose artifacts are
    the ``.keras`` network, the pickled transform (and the class names), with the signature and
    input example read from the raw example rows; registered as ``registered_model_name``.

    Example (``conf/base/catalog.yml``)::

        regression.mlflow_model:
          type: dl_pipelines.core.table_serving.TableModelDataset
          name: regression_model
          registered_model_name: dl_pipelines.regression
    """

    def log(self, model: TrainedTableModel, name: str, registered_model_name: str | None) -> ModelInfo:
        with tempfile.TemporaryDirectory() as folder:
            artifacts = {"network": Path(folder, "network.keras"), "transform": Path(folder, "transform.pkl")}
            model.network.save(artifacts["network"])
            artifacts["transform"].write_bytes(pickle.dumps(model.transform))
            if model.classes is not None:
                artifacts["classes"] = Path(folder, "classes.json")
                artifacts["classes"].write_text(json.dumps(model.classes))
            return mlflow.pyfunc.log_model(
                name=name,
                python_model=str(SERVED_MODEL),  # models from code: no dl_pipelines needed to serve
                artifacts={key: str(path) for key, path in artifacts.items()},
                signature=infer_signature(model.example, model.predict(model.example)),
                input_example=model.example,
                # Stated, not inferred (MLflow's inference reloads the model in a subprocess).
                pip_requirements=[*keras_requirements(), f"scikit-learn=={sklearn.__version__}",
                                  f"pandas=={pd.__version__}"],
                registered_model_name=registered_model_name,
            )
