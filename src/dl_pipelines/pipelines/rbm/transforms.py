"""Sparse ratings as the RBM sees them: a per-user split, a compressed-row matrix, and dense
batches of visible vectors made on the fly.

Only a small users x items matrix (up to 128 MB, e.g. ml-1m's 90 MB) is ever held whole; above
that, memory grows with the number of ratings, not with users x items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from dl_pipelines.core.compat import without_autotuning


@dataclass(frozen=True)
class RatingsMatrix:
    """A users x items matrix in compressed-row form: the items and values of user ``u`` are
    ``items[indptr[u]:indptr[u + 1]]`` and ``values[...]``."""

    indptr: np.ndarray
    items: np.ndarray
    values: np.ndarray
    shape: tuple[int, int]

    # Up to this size the dense matrix is held whole and batches are sliced from it: rebuilding
    # each batch from the sparse rows took half of a small RBM's training time.
    DENSE_LIMIT_BYTES = 128 * 2**20

    @classmethod
    def from_triples(cls, users: np.ndarray, items: np.ndarray, values: np.ndarray,
                     shape: tuple[int, int]) -> RatingsMatrix:
        order = np.argsort(users, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(users, minlength=shape[0]))])
        return cls(indptr.astype(np.int64), items[order].astype(np.int64),
                   values[order].astype(np.float32), (int(shape[0]), int(shape[1])))

    @property
    def nnz(self) -> int:
        return len(self.items)

    def row_counts(self) -> np.ndarray:
        return np.diff(self.indptr)

    def to_dense(self) -> np.ndarray:
        """The whole float32 users x items matrix."""
        dense = np.zeros(self.shape, dtype=np.float32)
        dense[np.repeat(np.arange(self.shape[0]), self.row_counts()), self.items] = self.values
        return dense

    def dense_batches(self, batch_size: int, *, shuffle: bool = False, seed: int = 0
                      ) -> tf.data.Dataset:
        """Dense float32 ``(batch, items)`` visible vectors of the users, optionally in a fresh
        random user order each epoch: sliced from the dense matrix when it is small
        (``DENSE_LIMIT_BYTES``), else built batch by batch from the sparse rows."""
        # Several workers (multi_worker) each take their share of every batch: there are no
        # files to split the data by.
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        if self.shape[0] * self.shape[1] * 4 <= self.DENSE_LIMIT_BYTES:
            users = tf.data.Dataset.from_tensor_slices(self.to_dense())
            if shuffle:  # the same seeded order of users as the sparse path
                users = users.shuffle(self.shape[0], seed=seed, reshuffle_each_iteration=True)
            batches = users.batch(batch_size)
        else:
            batches = self._sparse_batches(batch_size, shuffle=shuffle, seed=seed)
        # Without autotuning: no idle stall at the end of each epoch (core/compat.py).
        return without_autotuning(batches.prefetch(tf.data.AUTOTUNE).with_options(options))

    def _sparse_batches(self, batch_size: int, *, shuffle: bool, seed: int) -> tf.data.Dataset:
        """Dense visible vectors built batch by batch from the sparse rows."""
        items = tf.RaggedTensor.from_row_splits(self.items, self.indptr)
        values = tf.RaggedTensor.from_row_splits(self.values, self.indptr)
        width = self.shape[1]

        def densify(rows: tf.Tensor) -> tf.Tensor:
            batch_items, batch_values = tf.gather(items, rows), tf.gather(values, rows)
            coordinates = tf.stack([batch_items.value_rowids(), batch_items.flat_values], axis=1)
            return tf.scatter_nd(coordinates, batch_values.flat_values,
                                 tf.stack([tf.size(rows, out_type=tf.int64), width]))

        rows = tf.data.Dataset.range(self.shape[0])
        if shuffle:
            rows = rows.shuffle(self.shape[0], seed=seed, reshuffle_each_iteration=True)
        return rows.batch(batch_size).map(densify, num_parallel_calls=tf.data.AUTOTUNE)


def visible_values(ratings: np.ndarray, mode: str, top_rating: int = 5) -> np.ndarray:
    """The visible units' values: 1 for every rated movie (``implicit``), or rating / 5
    (``rating``, the course's input)."""
    ratings = np.asarray(ratings, dtype=np.float32)
    return np.ones_like(ratings) if mode == "implicit" else ratings / top_rating


def split_per_user(users: np.ndarray, test_fraction: float, seed: int) -> np.ndarray:
    """A boolean mask of the held-out ratings of ``users`` (indices 0..n-1): each user's ratings
    are shuffled, the first ``round((1 - test_fraction) * n)`` kept for training and the rest held
    out (the per-user "stratified" split of the recommender benchmarks)."""
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(users))
    # Stable sort by user of the shuffled positions: a random order within each user.
    order = shuffled[np.argsort(users[shuffled], kind="stable")]
    counts = np.bincount(users)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(users), dtype=np.int64)
    rank[order] = np.arange(len(users)) - np.repeat(starts, counts)
    kept = np.rint((1 - test_fraction) * counts).astype(np.int64)
    return rank >= kept[users]
