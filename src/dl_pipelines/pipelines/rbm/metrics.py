"""The ranking side of the recommender: top-N lists of unseen items, their precision, recall,
NDCG and MAP against the held-out ratings, and the most-popular baseline's scores."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import tensorflow as tf

from dl_pipelines.pipelines.rbm.transforms import RatingsMatrix


def top_items(score_batches: Iterator[tuple[np.ndarray, np.ndarray]], k: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best-scored unseen items per user from ``(scores, seen)`` batches: items the
    user has in ``seen`` (their training ratings) are never recommended."""
    indices, scores = [], []
    for batch_scores, seen in score_batches:
        masked = tf.where(seen > 0, -np.inf, batch_scores)
        best = tf.math.top_k(masked, k=k)
        indices.append(best.indices.numpy())
        scores.append(best.values.numpy())
    return np.concatenate(indices), np.concatenate(scores)


def ranking_metrics(top: np.ndarray, held_out: RatingsMatrix, k: int) -> dict[str, float]:
    """Precision, recall, NDCG and MAP at ``k`` of the top lists ``top`` (users x >= k item
    indices) against each user's held-out items, averaged over users with held-out items.

    Every held-out item counts as relevant (the user chose to watch it). NDCG uses binary gains;
    MAP@k averages precision at each hit over min(k, held-out items).
    """
    top = top[:, :k]
    users = np.arange(held_out.shape[0])
    relevant = held_out.row_counts()
    held_codes = np.repeat(users, relevant) * held_out.shape[1] + held_out.items
    hits = np.isin(users[:, None] * held_out.shape[1] + top, held_codes)
    evaluated = relevant > 0
    hits, relevant = hits[evaluated], relevant[evaluated]
    discount = 1 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discount)[np.minimum(relevant, k) - 1]
    precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    return {
        f"precision_at_{k}": float(np.mean(hits.sum(axis=1) / k)),
        f"recall_at_{k}": float(np.mean(hits.sum(axis=1) / relevant)),
        f"ndcg_at_{k}": float(np.mean((hits * discount).sum(axis=1) / ideal)),
        f"map_at_{k}": float(np.mean((precision_at * hits).sum(axis=1) / np.minimum(relevant, k))),
    }


def popularity_scores(train: RatingsMatrix) -> np.ndarray:
    """How many users rated each item in training: the most-popular baseline's score."""
    return np.bincount(train.items, minlength=train.shape[1]).astype(np.float32)
