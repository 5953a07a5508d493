"""Sample-quality metrics of the gan app: the Inception Score and the Frechet distance on a
classifier's features."""

from __future__ import annotations

import keras
import numpy as np


def inception_score(probabilities: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))): the number of classes for confident predictions spread evenly
    over the classes, 1 for one class only or for unsure predictions."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1))))


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(features: np.ndarray, reference: np.ndarray) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of feature vectors:
    |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2); 0 for the same distribution.

    Tr (S1 S2)^1/2 is computed as Tr (S1^1/2 S2 S1^1/2)^1/2, a symmetric matrix, so the singular
    covariances of few samples or collapsed generators give no complex round-off.
    """
    features, reference = np.asarray(features, np.float64), np.asarray(reference, np.float64)
    mu1, mu2 = features.mean(axis=0), reference.mean(axis=0)
    s1 = np.atleast_2d(np.cov(features, rowvar=False))
    s2 = np.atleast_2d(np.cov(reference, rowvar=False))
    root1 = _sqrt_psd(s1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ s2 @ root1), 0, None)).sum()
    return float(max(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * cross, 0.0))


def penultimate_features(classifier: keras.Model) -> keras.Model:
    """The classifier cut before its softmax layer: the features the Fréchet distance compares."""
    return keras.Model(classifier.inputs, classifier.get_layer("probabilities").input)
