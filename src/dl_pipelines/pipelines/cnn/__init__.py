"""The image-classification app ``cnn``: the course's dense, strided and pooled classifiers."""

from dl_pipelines.pipelines.cnn.pipeline import create_pipelines
from dl_pipelines.pipelines.cnn.settings import CnnSettings as Settings

__all__ = ["Settings", "create_pipelines"]
