"""The errors a user can fix: each message names the culprit and the fix in one line.

``kedro run`` (see ``dl_pipelines.cli``) prints these as one line instead of a traceback.
"""

from difflib import get_close_matches


def closest(name: str, known: list[str]) -> str | None:
    """The known name a misspelled ``name`` most likely meant, for a "did you mean" hint."""
    return next(iter(get_close_matches(name, known, n=1)), None)


class UserError(Exception):
    """Base class of the mistakes and missing inputs a user fixes without reading a traceback."""


class ConfigurationError(UserError, ValueError):
    """A parameter or input has a value the pipeline cannot use."""


class DataUnavailableError(UserError, RuntimeError):
    """A raw file is neither cached nor reachable."""


class UnsupportedVersionError(UserError, RuntimeError):
    """An installed library is not a version the project's work-arounds were written for."""


class ChecksumMismatchError(UserError, RuntimeError):
    """A downloaded file does not have the expected SHA-256; it was not kept."""
