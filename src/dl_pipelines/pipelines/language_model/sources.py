"""Readers of the language_model app's texts: the excerpt in the package, the raw files of ptb and
tiny_shakespeare, the user's own text; and the split of a text without a published one."""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import pandas as pd
from fsspec.core import OpenFile

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.user_files import file_name

PTB_FILES = {"train": "ptb.train.txt", "validation": "ptb.valid.txt", "test": "ptb.test.txt"}
SHAKESPEARE_FILE = "input.txt"
HOW_TO_GIVE = ("--params text_path=data/01_raw/my_text.txt (any fsspec path or URL), or a user_text "
               "entry in conf/local/catalog.yml")


def excerpt() -> str:
    """The first ~100 KB of tiny_shakespeare (public-domain text), kept in the package."""
    folder = resources.files(__package__)
    return folder.joinpath("data", "shakespeare_excerpt.txt").read_text(encoding="utf-8")


def decoded(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text (a byte-order mark dropped, line ends made ``\\n``).

    Raises:
        ConfigurationError: The bytes are not UTF-8, or hold no text.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigurationError(f"{name} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
                                 f"{error.start}); save it as UTF-8.") from None
    if not text.strip():
        raise ConfigurationError(f"{name} is empty; expected UTF-8 text to learn from.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_user_text(file: OpenFile | None) -> tuple[str, str]:
    """The user's text file (``language_model.dataset=text``) and its name in messages."""
    if file is None:
        raise ConfigurationError(f"language_model.dataset=text needs your UTF-8 text file: {HOW_TO_GIVE}.")
    name = file_name(file)
    if not file.fs.isfile(file.path):
        raise ConfigurationError(f"{name} does not exist; expected your UTF-8 text file: {HOW_TO_GIVE}.")
    with file as stream:
        return decoded(stream.read(), name), name


def read_local(path: Path) -> str:
    return decoded(Path(path).read_bytes(), str(path))


def split_text(text: str, validation_fraction: float) -> pd.DataFrame:
    """The first part to train on, the last ``validation_fraction`` to validate on (by characters:
    nanoGPT's split of tiny_shakespeare, so that the figures compare)."""
    train = int(len(text) * (1 - validation_fraction))
    return pd.DataFrame({"part": ["train", "validation"], "text": [text[:train], text[train:]]})


def shortest_text(steps: int, validation_fraction: float) -> int:
    """Characters a text needs for one window of ``steps`` + 1 tokens in each part of its split."""
    return math.ceil((steps + 1) / min(validation_fraction, 1 - validation_fraction))
