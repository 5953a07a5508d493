"""The served text generator: what the training stage hands to MLflow, and the catalog dataset
that logs it as "models from code" (``served_model.py``) and registers it.

``mlflow.pyfunc.load_model("models:/dl_pipelines.language_model/latest").predict(prompts)`` takes
a table with a ``prompt`` column (and optional ``length``, ``temperature``, ``seed``) and returns
one generated ``text`` per row.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.types import ColSpec, Schema

from dl_pipelines.datasets import LoggedModelDataset, keras_requirements
from dl_pipelines.pipelines.language_model import served_model

SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("string", "prompt"), ColSpec("long", "length", required=False),
                   ColSpec("double", "temperature", required=False),
                   ColSpec("long", "seed", required=False)]),
    outputs=Schema([ColSpec("string", "text")]))


@dataclass
class TrainedGenerator:
    """The streaming network (token ids and states in, logits and states out), its vocabulary,
    and the generation defaults of a row that gives only a prompt."""

    network: keras.Model
    vocabulary: dict[str, Any]
    defaults: dict[str, Any]


class GeneratorModelDataset(LoggedModelDataset):
    """Logs a :class:`TrainedGenerator` as an MLflow pyfunc model (artifacts: the ``.keras``
    network and ``vocabulary.json``), registered as ``registered_model_name``.

    Example (``conf/base/catalog.yml``)::

        language_model.mlflow_model:
          type: dl_pipelines.pipelines.language_model.serving.GeneratorModelDataset
          name: text_generator
          registered_model_name: dl_pipelines.language_model
    """

    def log(self, model: TrainedGenerator, name: str, registered_model_name: str | None) -> ModelInfo:
        with tempfile.TemporaryDirectory() as folder:
            network, vocabulary = Path(folder, "network.keras"), Path(folder, "vocabulary.json")
            model.network.save(network)
            vocabulary.write_text(json.dumps({**model.vocabulary, "defaults": model.defaults}))
            example = pd.DataFrame({"prompt": [model.defaults["prompt"]], "length": [8],
                                    "temperature": [1.0], "seed": [0]})
            return mlflow.pyfunc.log_model(
                name=name, python_model=served_model.__file__,  # models from code: no dl_pipelines to serve
                artifacts={"network": str(network), "vocabulary": str(vocabulary)},
                signature=SIGNATURE, input_example=example,
                pip_requirements=[*keras_requirements(), f"pandas=={pd.__version__}"],
                registered_model_name=registered_model_name)
