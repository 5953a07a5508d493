"""Kedro dataset classes of the project, used from ``conf/base/catalog*.yml``."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec
import mlflow
import numpy as np
import pandas as pd
from fsspec.core import OpenFile
from kedro.io import AbstractDataset, AbstractVersionedDataset, DatasetError, Version
from kedro.io.core import get_filepath_str, get_protocol_and_path, parse_dataset_definition
from kedro_datasets._typing import TablePreview
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.types.schema import Schema, TensorSpec

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.registry import version_run_id


class RawFilesDataset(AbstractDataset[None, RawFiles]):
    """Loads a :class:`RawFiles` store: the ingestion nodes ask it for the files of the dataset
    their parameters name, and it downloads (or takes from a mirror) what is not cached yet.

    Example (``conf/base/catalog_raw.yml``)::

        raw_files:
          type: dl_pipelines.datasets.RawFilesDataset
          path: data/01_raw
          sources: {mnist: {homepage: ..., files: {train-images-idx3-ubyte.gz: {url: ..., sha256: ...}}}}
    """

    def __init__(self, path: str, sources: dict[str, Any], timeout: float = 60.0,
                 credentials: dict[str, Any] | None = None, fs_args: dict[str, Any] | None = None,
                 metadata: dict[str, Any] | None = None):
        self._store = RawFiles(path, sources, timeout, fs_args={**(credentials or {}), **(fs_args or {})})
        self.metadata = metadata

    def load(self) -> RawFiles:
        return self._store

    def save(self, data: None) -> None:
        raise DatasetError("raw_files is read-only: raw files are downloaded, never written by nodes.")

    def _describe(self) -> dict[str, Any]:
        return {"root": str(self._store.root), "datasets": sorted(self._store.sources)}


class UserFileDataset(AbstractDataset[None, "OpenFile | None"]):
    """The user's own file (``<app>.dataset=csv``) on any fsspec path, handed over unopened.

    Kedro loads every input of a node, and this file exists only when a user names it: the
    ingestion node opens it only when its dataset is ``csv`` (kedro-datasets' ``CSVDataset`` would
    fail every run without a file). ``filepath: null`` means that no file was given.
    """

    def __init__(self, filepath: str | None = None, credentials: dict[str, Any] | None = None,
                 fs_args: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None):
        self.filepath = filepath
        self._fs_args = {**(credentials or {}), **(fs_args or {})}
        self.metadata = metadata

    def load(self) -> OpenFile | None:
        return fsspec.open(self.filepath, "rb", **self._fs_args) if self.filepath else None

    def save(self, data: None) -> None:
        raise DatasetError("user_csv is read-only: it is the user's own file.")

    def _exists(self) -> bool:
        file = self.load()
        return file is not None and file.fs.isfile(file.path)

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self.filepath}

    def preview(self, nrows: int = 5) -> TablePreview:
        """Kedro-Viz: the first rows of the file, every cell as text."""
        if not self._exists():
            return TablePreview({"columns": [], "index": [], "data": []})
        with self.load() as stream:
            table = pd.read_csv(stream, nrows=nrows, dtype=str, keep_default_na=False)
        return TablePreview(table.to_dict(orient="split"))


class UserFilesDataset(AbstractDataset[None, "list[OpenFile]"]):
    """The files of a folder of the user's (images to classify, say), on any fsspec path, handed
    over unopened and sorted by name; an empty or missing folder gives an empty list.

    kedro-datasets' ``PartitionedDataset`` stops on an empty folder with a multi-line error, and
    gives each file through a dataset of one format; the inference nodes take any image format and
    name the folder and the file that cannot be used.
    """

    def __init__(self, path: str, pattern: str = "*", credentials: dict[str, Any] | None = None,
                 fs_args: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None):
        self.path = path.rstrip("/")
        self._pattern = pattern
        self._fs_args = {**(credentials or {}), **(fs_args or {})}
        self.metadata = metadata

    def load(self) -> list[OpenFile]:
        files = fsspec.open_files(f"{self.path}/{self._pattern}", "rb", **self._fs_args)
        return sorted((file for file in files if file.fs.isfile(file.path)), key=lambda file: file.path)

    def save(self, data: None) -> None:
        raise DatasetError(f"{self.path} is read-only: it holds the user's own files.")

    def _describe(self) -> dict[str, Any]:
        return {"path": self.path, "pattern": self._pattern}

    def preview(self) -> TablePreview:
        """Kedro-Viz: the files' names and sizes."""
        table = pd.DataFrame([{"file": PurePosixPath(file.path).name, "bytes": file.fs.size(file.path)}
                              for file in self.load()], columns=["file", "bytes"])
        return TablePreview(table.to_dict(orient="split"))


class NpzDataset(AbstractVersionedDataset[dict[str, np.ndarray], dict[str, np.ndarray]]):
    """A dict of NumPy arrays in one ``.npz`` file, on any fsspec file system (a local path,
    ``s3://``, ``gs://``, ``memory://``...), optionally versioned like Kedro's own datasets.

    kedro-datasets has no NumPy dataset; arrays of several shapes (images, labels, class names)
    travel together between stages, so this one stays. A local file is written to a temporary
    name and renamed, so an interrupted save never leaves a half file.

    Args:
        filepath: Where the ``.npz`` file is, with an optional protocol.
        compress: Use ``np.savez_compressed`` (smaller, slower).
        credentials, fs_args: Passed to the fsspec file system (e.g. ``client_kwargs``).
        version: Kedro's ``versioned: true`` in the catalog.
    """

    def __init__(self, filepath: str, compress: bool = False, version: Version | None = None,
                 credentials: dict[str, Any] | None = None, fs_args: dict[str, Any] | None = None,
                 metadata: dict[str, Any] | None = None):
        protocol, path = get_protocol_and_path(filepath, version)
        self._protocol = protocol
        self._fs = fsspec.filesystem(protocol, **(credentials or {}), **(fs_args or {}))
        self._compress = compress
        self.metadata = metadata
        super().__init__(filepath=PurePosixPath(path), version=version, exists_function=self._fs.exists,
                         glob_function=self._fs.glob)

    def load(self) -> dict[str, np.ndarray]:
        path = get_filepath_str(self._get_load_path(), self._protocol)
        if not self._fs.exists(path):
            raise DatasetError(f"{path} does not exist yet: run the stage that writes it first.")
        with self._fs.open(path, "rb") as stream:
            content = io.BytesIO(stream.read())
        with np.load(content, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}

    def save(self, data: dict[str, np.ndarray]) -> None:
        path = get_filepath_str(self._get_save_path(), self._protocol)
        buffer = io.BytesIO()
        (np.savez_compressed if self._compress else np.savez)(buffer, **data)
        self._fs.makedirs(str(PurePosixPath(path).parent), exist_ok=True)
        if self._protocol != "file":  # one PUT: an object store never shows a half-written object
            with self._fs.open(path, "wb") as stream:
                stream.write(buffer.getvalue())
            return
        temporary = f"{path}.{os.getpid()}.part"
        try:
            with open(temporary, "wb") as stream:
                stream.write(buffer.getvalue())
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
        self._invalidate_cache()

    def _exists(self) -> bool:
        try:
            path = get_filepath_str(self._get_load_path(), self._protocol)
        except DatasetError:
            return False
        return self._fs.exists(path)

    def _invalidate_cache(self) -> None:
        self._fs.invalidate_cache(get_filepath_str(self._filepath, self._protocol))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "protocol": self._protocol, "compress": self._compress,
                "version": self._version}

    def preview(self) -> TablePreview:
        """Kedro-Viz: each array's name, type and shape (the arrays themselves are too large)."""
        table = pd.DataFrame([{"array": key, "dtype": str(value.dtype), "shape": str(value.shape)}
                              for key, value in self.load().items()])
        return TablePreview(table.to_dict(orient="split"))


class ArtifactDataset(AbstractDataset[Any, Any]):
    """A file written by any Kedro dataset (a figure, a table) and logged to the active MLflow run.

    kedro-mlflow's ``MlflowArtifactDataset`` hands MLflow the dataset's path as a local file, so it
    fails once the data lives in an object store (``data_root=s3://...``); this one reads the
    saved bytes back through fsspec, wherever they are.

    Example (``conf/base/catalog.yml``, a dataset factory)::

        "{app}.{name}_plot":
          type: dl_pipelines.datasets.ArtifactDataset
          artifact_path: "{app}"
          dataset: {type: matplotlib.MatplotlibDataset, filepath: ".../08_reporting/{app}/{name}.png"}
    """

    def __init__(self, dataset: dict[str, Any], artifact_path: str | None = None,
                 metadata: dict[str, Any] | None = None):
        dataset_class, config = parse_dataset_definition(dict(dataset))
        self._dataset = dataset_class(**config)
        self._filepath = str(dataset["filepath"])
        self._artifact_path = artifact_path
        self.metadata = metadata

    def load(self) -> Any:
        return self._dataset.load()

    def save(self, data: Any) -> None:
        self._dataset.save(data)
        if mlflow.active_run() is None:
            return
        if get_protocol_and_path(self._filepath)[0] == "file":  # on this disk: MLflow reads it there
            mlflow.log_artifact(self._filepath, self._artifact_path)
            return
        with tempfile.TemporaryDirectory() as folder:
            local = Path(folder, PurePosixPath(self._filepath).name)
            with fsspec.open(self._filepath, "rb") as stream:
                local.write_bytes(stream.read())
            mlflow.log_artifact(str(local), self._artifact_path)

    def _exists(self) -> bool:
        return self._dataset.exists()

    def _describe(self) -> dict[str, Any]:
        return {"dataset": self._dataset._describe(), "artifact_path": self._artifact_path}


class ModelFileDataset(ArtifactDataset):
    """A file an app's inference reads (the model, its fitted transform, its class names), logged
    to the training's MLflow run under ``artifact_path`` (default ``<app>/model_files``) like any
    :class:`ArtifactDataset`.

    With ``model_version`` (``--params model_version=<number | latest | alias>``) it is loaded from
    the run that logged that version of ``registered_model_name`` instead of the local file, so
    ``kedro run --pipelines=<app>_inference`` can use any registered training, not only the last.

    Example (``conf/base/catalog.yml``)::

        regression.transform:
          type: dl_pipelines.datasets.ModelFileDataset
          registered_model_name: dl_pipelines.regression
          model_version: ${runtime_params:model_version, null}
          dataset: {type: pickle.PickleDataset, filepath: .../06_models/regression/transform.pkl}
    """

    def __init__(self, dataset: dict[str, Any], registered_model_name: str,
                 model_version: str | int | None = None, artifact_path: str | None = None,
                 metadata: dict[str, Any] | None = None):
        app = registered_model_name.removeprefix("dl_pipelines.")
        super().__init__(dataset, artifact_path or f"{app}/model_files", metadata)
        self._definition = dict(dataset)
        self._registered_model_name = registered_model_name
        self._model_version = None if model_version is None else str(model_version)

    def load(self) -> Any:
        if self._model_version is None:
            return super().load()
        run_id = version_run_id(self._registered_model_name, self._model_version)
        name = PurePosixPath(self._filepath).name
        artifact = f"{self._artifact_path}/{name}" if self._artifact_path else name
        with tempfile.TemporaryDirectory() as folder:
            try:
                local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifact,
                                                            dst_path=folder)
            except (MlflowException, OSError):
                raise ConfigurationError(
                    f"model_version={self._model_version}: its run {run_id} has no {artifact}; it was "
                    "trained before runs kept their model files, or by a stage run: train the whole app."
                ) from None
            dataset_class, config = parse_dataset_definition({**self._definition, "filepath": local})
            return dataset_class(**config).load()

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "registered_model_name": self._registered_model_name,
                "model_version": self._model_version}


def keras_signature(model: Any) -> ModelSignature:
    """The MLflow tensor signature of a Keras model, read from its input and output specs."""

    def spec(tensor: Any) -> TensorSpec:
        shape = (-1, *[-1 if dim is None else int(dim) for dim in tensor.shape[1:]])
        return TensorSpec(np.dtype(str(tensor.dtype)), shape)

    return ModelSignature(inputs=Schema([spec(t) for t in model.inputs]),
                          outputs=Schema([spec(t) for t in model.outputs]))


def keras_requirements() -> list[str]:
    """What a logged Keras model needs to be served: the installed Keras and TensorFlow."""
    import keras
    import tensorflow as tf

    return [f"keras=={keras.__version__}", f"tensorflow=={tf.__version__}"]


class LoggedModelDataset(AbstractDataset[Any, Any]):
    """A trained model, saved as an MLflow model in the active run and registered in the Model
    Registry as ``registered_model_name``, its version tagged with the run's dataset (and given
    that dataset as an alias: ``models:/dl_pipelines.cnn@mnist`` is the last model trained on MNIST).

    With ``dataset`` (a Kedro dataset definition, e.g. the ``.keras`` file), the model is also saved
    there and loaded from there, so the training stage's output is both the file later stages read
    and the registered model. Without it, loading gives the latest registered version as an MLflow
    pyfunc model.

    kedro-mlflow's ``MlflowModelTrackingDataset`` takes the signature from the catalog YAML; a
    model's signature is known only once it is trained, so subclasses log it themselves
    (:meth:`log`).
    """

    def __init__(self, name: str, registered_model_name: str | None = None,
                 dataset: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None):
        self._name = name
        self._registered_model_name = registered_model_name
        self._dataset = None
        if dataset is not None:
            dataset_class, config = parse_dataset_definition(dict(dataset))
            self._dataset = dataset_class(**config)
        self.metadata = metadata

    def log(self, model: Any, name: str, registered_model_name: str | None) -> ModelInfo:
        raise NotImplementedError

    def save(self, data: Any) -> None:
        if self._dataset is not None:
            self._dataset.save(data)
        if mlflow.active_run() is None:
            if self._dataset is None:
                raise DatasetError(f"No active MLflow run to log the model {self._name!r} to.")
            return  # MLflow tracking is off for this pipeline (mlflow.yml): the file is enough
        info = self.log(data, self._name, self._registered_model_name)
        version = info.registered_model_version
        if version is None:
            return
        dataset = mlflow.get_run(mlflow.active_run().info.run_id).data.tags.get("dataset")
        if dataset:
            client = mlflow.MlflowClient()
            client.set_model_version_tag(self._registered_model_name, version, "dataset", dataset)
            client.set_registered_model_alias(self._registered_model_name, dataset.replace("-", "_"), version)

    def load(self) -> Any:
        if self._dataset is not None:
            return self._dataset.load()
        if self._registered_model_name is None:
            raise DatasetError(f"The model {self._name!r} is not registered; load it from its run.")
        return mlflow.pyfunc.load_model(f"models:/{self._registered_model_name}/latest")

    def _exists(self) -> bool:
        return self._dataset is not None and self._dataset.exists()

    def _describe(self) -> dict[str, Any]:
        return {"name": self._name, "registered_model_name": self._registered_model_name,
                "dataset": self._dataset._describe() if self._dataset is not None else None}


class KerasModelDataset(LoggedModelDataset):
    """A Keras model logged with its input signature read from the model itself, so
    ``mlflow.pyfunc.load_model(...).predict(raw_images)`` checks its inputs.

    With ``code`` (a module of the package, e.g. ``dl_pipelines.pipelines.lstm.served_model``),
    the model is logged as MLflow "models from code" instead: that file, with the ``.keras``
    model as its ``network`` artifact. For models with layers of their own, which the file
    registers: Keras cannot load them where the package is not installed.

    Example (``conf/base/catalog.yml``)::

        rbm.mlflow_model:
          type: dl_pipelines.datasets.KerasModelDataset
          name: rbm_recommender
          registered_model_name: dl_pipelines.rbm
    """

    def __init__(self, *, code: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._code = code

    def log(self, model: Any, name: str, registered_model_name: str | None) -> ModelInfo:
        # Requirements stated, not inferred: MLflow's inference reloads the model in a subprocess
        # to watch its imports, about 5 s per logged model on 2 CPU cores.
        options = {"name": name, "signature": keras_signature(model),
                   "pip_requirements": keras_requirements(), "registered_model_name": registered_model_name}
        if self._code is None:
            return mlflow.keras.log_model(model, **options)
        import importlib.util

        with tempfile.TemporaryDirectory() as folder:
            network = Path(folder, "network.keras")
            model.save(network)
            return mlflow.pyfunc.log_model(python_model=importlib.util.find_spec(self._code).origin,
                                           artifacts={"network": str(network)}, **options)
