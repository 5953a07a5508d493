"""The classification app ``classification``: the course's first small classifiers (XOR, iris,
the ionosphere radar returns, your CSV), logistic regression and a dense network, judged on a
stratified hold-out split and by stratified k-fold cross-validation beside scikit-learn's
``LogisticRegression``."""

from dl_pipelines.pipelines.classification.pipeline import create_pipelines
from dl_pipelines.pipelines.classification.settings import ClassificationSettings as Settings

__all__ = ["Settings", "create_pipelines"]
