"""Which run trained a registered model version: how ``--params model_version=<number | latest |
alias>`` points the inference pipelines at the files of that training instead of the last local one."""

from __future__ import annotations

import mlflow
from mlflow.exceptions import MlflowException

from dl_pipelines.core.errors import ConfigurationError


def registered_name(app: str) -> str:
    """The Model Registry name of an app's model."""
    return f"dl_pipelines.{app}"


def version_run_id(name: str, version: str) -> str:
    """The id of the run that logged ``version`` (a number, ``latest`` or an alias) of ``name``."""
    client = mlflow.MlflowClient()
    versions = client.search_model_versions(f"name = '{name}'")
    if not versions:
        raise ConfigurationError(f"model_version={version}: no model is registered as {name} in "
                                 f"{mlflow.get_tracking_uri()}; train the app first, or point "
                                 "MLFLOW_TRACKING_URI at the store that has it.")
    numbers = sorted(int(v.version) for v in versions)
    try:
        if version == "latest":
            return client.get_model_version(name, str(numbers[-1])).run_id
        if version.isdigit():
            return client.get_model_version(name, version).run_id
        return client.get_model_version_by_alias(name, version).run_id
    except MlflowException:
        aliases = sorted(client.get_registered_model(name).aliases)
        raise ConfigurationError(
            f"model_version={version}: {name} has no such version; it has versions "
            f"{', '.join(map(str, numbers))}, 'latest' and the aliases {', '.join(aliases) or '(none)'}."
        ) from None
