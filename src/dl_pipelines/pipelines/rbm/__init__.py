"""The recommendation app ``rbm``: a Restricted Boltzmann Machine trained by contrastive divergence
on movie ratings, recommending each user the movies they have not rated."""

from dl_pipelines.pipelines.rbm.pipeline import create_pipelines
from dl_pipelines.pipelines.rbm.settings import RbmSettings as Settings

__all__ = ["Settings", "create_pipelines"]
