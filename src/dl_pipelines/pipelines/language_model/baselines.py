"""The n-gram baseline: an interpolated Kneser-Ney model (Chen and Goodman, 1998), counted on the
training ids with NumPy and scored on the same validation and test ids as the network.

Written here rather than taken from a library: NLTK's ``KneserNeyInterpolated`` scores one word at
a time in Python (hours for PTB's 82,000 test words) and KenLM needs a C++ build; the vectorised
counts below take a few seconds for PTB's 5-grams.

Each n-gram seen in training gets an id, order by order: the id of a k-gram is the position of
``(id of its first k-1 tokens) * V + last token`` among the sorted unique keys, so keys stay below
(number of (k-1)-grams) * V, whatever the order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Level:
    """The k-grams of one order: their sorted keys, the count the order uses (raw counts at the
    highest order, continuation counts below), and per context ((k-1)-gram) the total count and
    the probability mass the discounts free (gamma)."""

    keys: np.ndarray
    discounted: np.ndarray   # max(count - D(count), 0) of each k-gram
    totals: np.ndarray       # per context
    gammas: np.ndarray       # per context: sum of D(count) over its k-grams / total


def discounts(counts: np.ndarray, fixed: float | None) -> np.ndarray:
    """D(c) of each count: ``fixed``, or modified Kneser-Ney's D1, D2, D3+ from the counts of
    counts n1..n4 (Chen and Goodman), falling back to a single discount on tiny data."""
    if fixed is not None:
        return np.where(counts > 0, fixed, 0.0)
    n = np.bincount(np.minimum(counts, 5), minlength=6)[1:5].astype(float)
    y = n[0] / (n[0] + 2 * n[1]) if n[0] + n[1] > 0 else 0.5
    if (n == 0).any():
        return np.where(counts > 0, y, 0.0)
    d = np.array([0.0, 1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
    return d[np.minimum(counts, 3)]


def kneser_ney(train: np.ndarray, order: int, vocabulary_size: int,
               discount: float | None = None) -> list[Level]:
    """The levels 1..``order`` of an interpolated Kneser-Ney model of the id stream ``train``."""
    train = np.asarray(train, np.int64)
    size = vocabulary_size
    ids = [train]                        # ids[k - 1][i]: id of the k-gram ending at i (-1: none)
    keys = [np.arange(size, dtype=np.int64)]
    counts = [np.bincount(train, minlength=size)]
    suffixes: list[np.ndarray] = []      # suffixes[k - 2][g]: id of k-gram g without its first token
    for _ in range(2, order + 1):
        previous = ids[-1]
        key = np.full(len(train), -1, np.int64)
        key[1:] = np.where(previous[:-1] >= 0, previous[:-1] * size + train[1:], -1)
        valid = np.flatnonzero(key >= 0)
        unique, first, inverse = np.unique(key[valid], return_index=True, return_inverse=True)
        current = np.full(len(train), -1, np.int64)
        current[valid] = inverse
        ids.append(current)
        keys.append(unique)
        counts.append(np.bincount(inverse, minlength=len(unique)))
        suffixes.append(previous[valid[first]])
    levels = []
    for k in range(1, order + 1):
        # Below the highest order, a k-gram counts the distinct tokens seen before it.
        used = counts[k - 1] if k == order else np.bincount(suffixes[k - 1], minlength=len(keys[k - 1]))
        d = discounts(used, discount)
        contexts = np.zeros(len(used), np.int64) if k == 1 else keys[k - 1] // size
        slots = 1 if k == 1 else len(keys[k - 2])
        totals = np.bincount(contexts, weights=used, minlength=slots)
        freed = np.bincount(contexts, weights=d, minlength=slots)
        gammas = np.divide(freed, totals, out=np.zeros_like(freed), where=totals > 0)
        levels.append(Level(keys[k - 1], np.maximum(used - d, 0.0), totals, gammas))
    return levels


def log_probabilities(levels: list[Level], stream: np.ndarray, vocabulary_size: int) -> np.ndarray:
    """ln P(token i | the order - 1 tokens before it) of every token of the id ``stream``: the
    unigram level interpolated with the uniform distribution, each higher level with the one
    below it where its context was seen in training."""
    stream = np.asarray(stream, np.int64)
    unigrams = levels[0]
    probability = (unigrams.discounted[stream] + unigrams.gammas[0] * unigrams.totals[0] / vocabulary_size
                   ) / unigrams.totals[0]
    ids = stream.copy()                  # ids of the (k-1)-grams ending at each position, in training's
    for level in levels[1:]:
        context = np.full(len(stream), -1, np.int64)
        context[1:] = ids[:-1]
        key = np.where(context >= 0, context * vocabulary_size + stream, -1)
        found = np.searchsorted(level.keys, key).clip(max=len(level.keys) - 1)
        ids = np.where((key >= 0) & (level.keys[found] == key), found, -1)
        seen = context >= 0
        seen[seen] = level.totals[context[seen]] > 0
        total = level.totals[context[seen]]
        counted = np.where(ids[seen] >= 0, level.discounted[ids[seen].clip(min=0)], 0.0)
        probability[seen] = counted / total + level.gammas[context[seen]] * probability[seen]
    return np.log(probability)


def ngram_nats(train: np.ndarray, parts: dict[str, np.ndarray], order: int, vocabulary_size: int,
               discount: float | None = None) -> dict[str, float]:
    """Mean cross-entropy (nats per token) of the Kneser-Ney model of ``train`` on each part."""
    levels = kneser_ney(train, order, vocabulary_size, discount)
    return {name: float(-log_probabilities(levels, ids, vocabulary_size).mean())
            for name, ids in parts.items() if len(ids)}
