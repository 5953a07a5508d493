"""The image-generation app ``gan``: the course's DCGAN, its training progress, its latent space,
and its samples scored by a digit classifier against real images."""

from dl_pipelines.pipelines.gan.pipeline import create_pipelines
from dl_pipelines.pipelines.gan.settings import GanSettings as Settings

__all__ = ["Settings", "create_pipelines"]
