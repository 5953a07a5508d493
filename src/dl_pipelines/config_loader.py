"""Kedro's configuration loader, with every app's parameters turned into its effective settings.

Settings left at ``null`` take their preset's value and the ``run`` block fills each app's
``training`` (see :mod:`dl_pipelines.core.settings`). Done here, where Kedro loads parameters,
it holds for everything that reads them: ``kedro run``, Kedro-Viz, notebooks, Airflow DAGs. Kedro
then builds the typed blocks the nodes ask for from their type hints.
"""

from __future__ import annotations

from typing import Any

from kedro.config import OmegaConfigLoader

from dl_pipelines.core.errors import ConfigurationError, closest
from dl_pipelines.core.settings import effective_settings

# The --params keys that are not parameters of a file: conf/ reads them as ${runtime_params:<key>}.
RUNTIME_KEYS = ("csv_path", "text_path", "data_root", "model_version")


class SettingsConfigLoader(OmegaConfigLoader):
    """``OmegaConfigLoader`` whose ``parameters`` hold each app's effective settings, validated:
    a bad value stops with one line naming it, before any work (``settings.CONFIG_LOADER_CLASS``)."""

    def __init__(self, *args: Any, runtime_params: dict[str, Any] | None = None, **kwargs: Any):
        root = (runtime_params or {}).get("data_root")
        if isinstance(root, str) and len(root) > 1 and root.endswith("/"):
            # `s3://bucket/dl/` would give `s3://bucket/dl//05_model_input/...`: another key there.
            runtime_params = {**runtime_params, "data_root": root.rstrip("/")}
        super().__init__(*args, runtime_params=runtime_params, **kwargs)

    def __getitem__(self, key: str) -> dict[str, Any]:
        config = super().__getitem__(key)
        if key != "parameters":
            return config
        from dl_pipelines.pipeline_registry import APPS  # the apps' settings models; imported late

        check_runtime_keys(self.runtime_params or {}, list(APPS))
        run = config.get("run") or {}
        return {**config, **{app: effective_settings(app, config[app], package.Settings, run).model_dump()
                             for app, package in APPS.items() if app in config}}


def check_runtime_keys(runtime_params: dict[str, Any], apps: list[str]) -> None:
    """A misspelled app in ``--params`` (``regresion.dataset=csv``) would otherwise be a new,
    unused parameter, and the run would go on with the defaults."""
    known = [*apps, "run", *RUNTIME_KEYS]
    for key in runtime_params:
        if key not in known:
            close = closest(key, known)
            raise ConfigurationError(
                f"Parameter {key} is not known" + (f"; did you mean {close}?" if close else ";")
                + f" expected an app ({', '.join(apps)}), run, or {', '.join(RUNTIME_KEYS)}.")
