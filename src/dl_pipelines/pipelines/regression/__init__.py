"""The regression app ``regression``: the course's linear and deep regression, with a least-squares
baseline and a linear fit written out by hand with ``tf.GradientTape``."""

from dl_pipelines.pipelines.regression.pipeline import create_pipelines
from dl_pipelines.pipelines.regression.settings import RegressionSettings as Settings

__all__ = ["Settings", "create_pipelines"]
