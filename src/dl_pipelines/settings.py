"""Project settings. See https://docs.kedro.org/en/stable/configure/configuration_basics/"""

import warnings

from dl_pipelines.core.startup import long_lived_imports

with long_lived_imports():
    from dl_pipelines.config_loader import SettingsConfigLoader
    from dl_pipelines.hooks import AppRunsHook, RunEnvironmentHook

# A deprecation notice raised inside Kedro and kedro-mlflow themselves, not actionable here.
warnings.filterwarnings("ignore", message=".*register_new_resolver.*")

HOOKS = (RunEnvironmentHook(), AppRunsHook())
# kedro-mlflow's hook is registered inside AppRunsHook (one MLflow run per app), not by the plugin.
# Kedro matches the distribution's metadata name: kedro_mlflow (older releases: kedro-mlflow).
DISABLE_HOOKS_FOR_PLUGINS = ("kedro_mlflow", "kedro-mlflow")

# Every app's parameters become its effective settings, validated, wherever they are read.
CONFIG_LOADER_CLASS = SettingsConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # An environment (conf/gpu) overrides single nested parameters, e.g. cnn.training.strategy,
    # and keeps the rest of conf/base.
    "merge_strategy": {"parameters": "soft"},
}
