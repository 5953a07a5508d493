"""Project settings. See https://docs.kedro.org/en/stable/configure/configuration_basics/"""

import warnings

from dl_pipelines.hooks import MlflowDefaultsHook, ParameterValidationHook

# A deprecation notice raised inside Kedro and kedro-mlflow themselves, not actionable here.
warnings.filterwarnings("ignore", message=".*register_new_resolver.*")

HOOKS = (MlflowDefaultsHook(), ParameterValidationHook())

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
