"""Image classification datasets, read into one common form.

Every loader returns ``{"x_train", "y_train", "x_test", "y_test", "class_names"}`` with images as
uint8 arrays (N, H, W, C) in 0..255 and integer labels; ``x_test`` is empty for a dataset with no
published test split. The cnn, autoencoder and gan apps share these loaders.
"""

from __future__ import annotations

import gzip
import logging
import pickle
import tarfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from fsspec.core import OpenFile
from kedro.pipeline import Pipeline, node
from PIL import Image, UnidentifiedImageError
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import SplitSettings
from dl_pipelines.core.stages import check_made_from
from dl_pipelines.core.user_files import file_name

logger = logging.getLogger(__name__)

IMAGE_DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10")
# Known before ingestion, so a model that cannot take a dataset's images stops before any download.
IMAGE_SHAPES = {"digits": (8, 8, 1), "mnist": (28, 28, 1), "fashion_mnist": (28, 28, 1),
                "cifar10": (32, 32, 3)}

DIGIT_NAMES = [str(digit) for digit in range(10)]
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck"]

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def read_idx(path: Path) -> np.ndarray:
    """Read a (gzipped) IDX file, the format of MNIST and Fashion-MNIST, as a uint8 array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as stream:
        data = stream.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (bad magic number).")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated: header says {shape}, found {body.size} values.")
    return body.reshape(shape)


def read_cifar10(archive: Path) -> dict[str, np.ndarray]:
    """Read ``cifar-10-python.tar.gz`` into train (50,000) and test (10,000) arrays."""
    parts: dict[str, list] = {"x_train": [], "y_train": [], "x_test": [], "y_test": []}
    with tarfile.open(archive, "r:gz") as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            name = Path(member.name).name
            split = "train" if name.startswith("data_batch_") else "test" if name == "test_batch" else None
            if split is None:
                continue
            # The archive is checksummed before it is read, so unpickling it is safe.
            batch = pickle.load(tar.extractfile(member), encoding="bytes")  # noqa: S301
            parts[f"x_{split}"].append(batch[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            parts[f"y_{split}"].append(np.asarray(batch[b"labels"], dtype=np.uint8))
    return {key: np.concatenate(value) for key, value in parts.items()}


def load_image_dataset(name: str, raw_files: RawFiles) -> dict[str, np.ndarray]:
    """Load an image classification dataset by name, downloading its raw files when needed."""
    if name == "digits":
        digits = load_digits()
        # 8x8 images of values 0..16, rescaled to the 0..255 bytes of the other datasets.
        images = np.round(digits.images * (255 / 16)).astype(np.uint8)[..., None]
        return {"x_train": images, "y_train": digits.target.astype(np.uint8),
                "x_test": images[:0], "y_test": digits.target[:0].astype(np.uint8),
                "class_names": np.array(DIGIT_NAMES)}
    if name in ("mnist", "fashion_mnist"):
        paths = raw_files.fetch(name, list(IDX_FILES.values()))
        arrays = {key: read_idx(paths[file]) for key, file in IDX_FILES.items()}
        arrays["x_train"] = arrays["x_train"][..., None]
        arrays["x_test"] = arrays["x_test"][..., None]
        names = DIGIT_NAMES if name == "mnist" else FASHION_NAMES
        return {**arrays, "class_names": np.array(names)}
    if name == "cifar10":
        paths = raw_files.fetch(name, ["cifar-10-python.tar.gz"])
        return {**read_cifar10(paths["cifar-10-python.tar.gz"]), "class_names": np.array(CIFAR10_NAMES)}
    raise ValueError(f"Unknown image dataset {name!r}; expected one of {', '.join(IMAGE_DATASETS)}.")


def read_images(files: list[OpenFile], shape: tuple[int, int, int], where: str) -> np.ndarray:
    """The user's image files (PNG, JPEG, any format Pillow reads, any size) as one uint8 batch of
    ``shape`` (H, W, C): made grey or RGB as the model's channels ask, and resized (bilinear).

    Raises:
        ConfigurationError: No file at all (``where`` says where they go), or a file that does not
            decode as an image (named).
    """
    if not files:
        raise ConfigurationError(f"No image files in {where}; put PNG or JPEG files there (any size).")
    height, width, channels = shape
    batch = np.empty((len(files), height, width, channels), dtype=np.uint8)
    for index, file in enumerate(files):
        try:
            with file as stream, Image.open(stream) as image:
                image = image.convert("L" if channels == 1 else "RGB")
        except (UnidentifiedImageError, OSError):
            raise ConfigurationError(f"{file_name(file)} does not decode as an image; remove it or save "
                                     "it as PNG or JPEG.") from None
        batch[index] = np.asarray(image.resize((width, height), Image.Resampling.BILINEAR)
                                  ).reshape(height, width, channels)
    return batch


# --- nodes shared by the image apps (cnn, autoencoder, gan) -------------------------------------


def ingest_images(raw_files: RawFiles, dataset: str) -> dict[str, np.ndarray]:
    """Ingestion node: load the dataset ``<app>.dataset`` names, downloading it the first time.

    Returns:
        uint8 images (N, H, W, C) and labels of the published train and test splits, the class
        names, and the dataset name (so later stages can check what they were given).
    """
    images = load_image_dataset(dataset, raw_files)
    logger.info("%s: %d training and %d test images of shape %s", dataset, len(images["x_train"]),
                len(images["x_test"]), images["x_train"].shape[1:])
    return {**images, "dataset": np.array(dataset)}


def split_images(images: dict[str, np.ndarray], dataset: str, split: SplitSettings, seed: int, *,
                 app: str) -> dict[str, np.ndarray]:
    """Preprocessing node: split into train / validation / test, stratified and seeded.

    The published test split is kept as the test set; a dataset without one (digits) gives
    ``split.test_fraction`` of its images to the test set. The validation set is
    ``split.validation_fraction`` of what remains for training. The app's pipeline takes the node
    from :func:`split_images_node`.
    """
    check_made_from(str(images["dataset"]), f"{app}.raw_images", dataset, f"{app}_ingestion")
    x, y = images["x_train"], images["y_train"]
    x_test, y_test = images["x_test"], images["y_test"]
    if len(x_test) == 0:
        x, x_test, y, y_test = train_test_split(
            x, y, test_size=split.test_fraction, stratify=y, random_state=seed)
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=split.validation_fraction, stratify=y, random_state=seed)
    logger.info("Split: %d train, %d validation, %d test", len(x_train), len(x_val), len(x_test))
    return {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val,
            "x_test": x_test, "y_test": y_test, "class_names": images["class_names"],
            "dataset": images["dataset"]}


def image_stages(app: str) -> tuple[Pipeline, Pipeline]:
    """The ingestion and preprocessing pipelines of an image app: the dataset ``<app>.dataset``
    names into ``<app>.raw_images``, then split into ``<app>.model_input``."""
    ingestion = Pipeline([
        node(ingest_images, ["raw_files", f"params:{app}.dataset"], f"{app}.raw_images",
             name="ingest_images", namespace=f"{app}.ingestion"),
    ])
    preprocessing = Pipeline([
        node(split_images_node(app), [f"{app}.raw_images", f"params:{app}.dataset", f"params:{app}.split",
                                      f"params:{app}.seed"], f"{app}.model_input",
             name="split_images", namespace=f"{app}.preprocessing"),
    ])
    return ingestion, preprocessing


def split_images_node(app: str) -> Callable[..., dict[str, np.ndarray]]:
    """:func:`split_images` for ``app``, as a plain named function (Kedro reads a node's name and
    type hints from its function, which a ``functools.partial`` does not have)."""

    def split_app_images(images: dict[str, np.ndarray], dataset: str, split: SplitSettings,
                         seed: int) -> dict[str, np.ndarray]:
        return split_images(images, dataset, split, seed, app=app)

    split_app_images.__doc__ = split_images.__doc__
    return split_app_images
