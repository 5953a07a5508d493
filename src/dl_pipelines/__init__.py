"""dl_pipelines: classic deep-learning applications as reproducible Kedro pipelines."""

__version__ = "0.1.0"
