"""The user's own data file: the ``user_csv`` catalog entry, read by an app whose dataset is ``csv``."""

from __future__ import annotations

from fsspec.core import OpenFile
from fsspec.implementations.local import LocalFileSystem

from dl_pipelines.core.errors import ConfigurationError

HOW_TO_GIVE = ("--params csv_path=data/01_raw/my.csv (any fsspec path or URL), or a user_csv entry "
               "in conf/local/catalog.yml")


def file_name(file: OpenFile) -> str:
    """How messages name a file: its path on this disk, else its URL."""
    return file.path if isinstance(file.fs, LocalFileSystem) else file.full_name


def require_user_file(file: OpenFile | None, app: str) -> OpenFile:
    """The user's file, checked to exist.

    Raises:
        ConfigurationError: No file was given, or there is none at its path.
    """
    if file is None:
        raise ConfigurationError(f"{app}.dataset=csv needs your CSV file: {HOW_TO_GIVE}.")
    if not file.fs.isfile(file.path):
        raise ConfigurationError(f"{file_name(file)} does not exist; expected your CSV file: {HOW_TO_GIVE}.")
    return file
