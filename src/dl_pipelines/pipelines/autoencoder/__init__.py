"""The autoencoder app ``autoencoder``: learned compression (dense, deep, convolutional, optionally
denoising autoencoders) measured against PCA with as many components."""

from dl_pipelines.pipelines.autoencoder.pipeline import create_pipelines
from dl_pipelines.pipelines.autoencoder.settings import AutoencoderSettings as Settings

__all__ = ["Settings", "create_pipelines"]
