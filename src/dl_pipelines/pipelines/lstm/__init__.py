"""The forecasting app ``lstm``: recurrent networks (and a dense baseline) for time series."""

from dl_pipelines.pipelines.lstm.pipeline import create_pipelines
from dl_pipelines.pipelines.lstm.settings import LstmSettings as Settings

__all__ = ["Settings", "create_pipelines"]
