"""The rbm_features app ``rbm_features``: a Bernoulli RBM trained by contrastive divergence on
images, its hidden units used as features for a logistic regression, beside the same regression
on raw pixels."""

from dl_pipelines.pipelines.rbm_features.pipeline import create_pipelines
from dl_pipelines.pipelines.rbm_features.settings import RbmFeaturesSettings as Settings

__all__ = ["Settings", "create_pipelines"]
