"""The user's own files: the ``user_csv`` catalog entry (an app's dataset ``csv``) and the inputs of
the inference pipelines."""

from __future__ import annotations

import pandas as pd
from fsspec.core import OpenFile
from fsspec.implementations.local import LocalFileSystem

from dl_pipelines.core.errors import ConfigurationError

HOW_TO_GIVE = ("--params csv_path=data/01_raw/my.csv (any fsspec path or URL), or a user_csv entry "
               "in conf/local/catalog.yml")


def inputs_folder(app: str) -> str:
    """How messages name an app's inference inputs: the catalog entry, and its folder (under
    ``--params data_root`` when given)."""
    return f"{app}.new_inputs (data/01_raw/inference/{app}/, or 01_raw/inference/{app}/ under data_root)"


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
    # info(), not isfile(): s3fs's isfile() answers False when the store cannot be reached or
    # refuses the credentials, and "does not exist" would send the user looking for the file.
    try:
        kind = file.fs.info(file.path).get("type")
    except FileNotFoundError:
        kind = None
    except Exception as error:  # the file system's own: no connection, no credentials, no access
        raise ConfigurationError(f"Cannot read {file_name(file)}: {type(error).__name__}: {error}".rstrip()
                                 + " (for an object store: its credentials and endpoint, docs/data.md)."
                                 ) from None
    if kind != "file":
        raise ConfigurationError(f"{file_name(file)} does not exist; expected your CSV file: {HOW_TO_GIVE}.")
    return file


def read_csv(file: OpenFile) -> pd.DataFrame:
    """A CSV file as pandas reads it (numbers as numbers, empty cells as NaN).

    Raises:
        ConfigurationError: The file cannot be read as CSV.
    """
    try:
        # Bare-CR line endings (the course's fuel file has them) read too: pandas' C parser.
        with file as stream:
            return pd.read_csv(stream)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"Cannot read {file_name(file)} as a CSV file ({error}).") from None
