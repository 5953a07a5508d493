"""Text to token ids: tokens, vocabularies, and the two ways of cutting a token stream into
training examples (contiguous streams for stateful training, independent windows)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from dl_pipelines.pipelines.language_model.served_model import END_OF_SENTENCE, UNKNOWN


def tokens_of(text: str, level: str) -> list[str]:
    """Words (white space separates them; a line ends with ``<eos>``, as in Mikolov's PTB
    loaders) or characters."""
    if level == "char":
        return list(text)
    return text.replace("\n", f" {END_OF_SENTENCE} ").split()


def vocabulary_of(tokens: list[str], level: str, max_size: int | None = None) -> list[str]:
    """Characters in code-point order; words by falling frequency (ties alphabetical), at most
    ``max_size`` of them, with ``<unk>`` for every other word (PTB already has it)."""
    if level == "char":
        return sorted(set(tokens))
    counts = Counter(tokens)
    words = sorted(counts, key=lambda word: (-counts[word], word))
    if max_size is not None and len(words) > max_size:
        words = [word for word in words if word != UNKNOWN][:max_size - 1] + [UNKNOWN]
    return words if UNKNOWN in words else [*words, UNKNOWN]


def ids_of(tokens: list[str], vocabulary: list[str]) -> np.ndarray:
    """The id of every token (a word out of the vocabulary reads as ``<unk>``)."""
    index = {token: i for i, token in enumerate(vocabulary)}
    unknown = index.get(UNKNOWN, -1)
    return np.fromiter((index.get(token, unknown) for token in tokens), dtype=np.int32, count=len(tokens))


def stream_windows(ids: np.ndarray, batch_size: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The paper's batching (``ptb_iterator``): the stream cut into ``batch_size`` contiguous
    rows, read ``steps`` tokens at a time. Window ``i`` of the result is rows
    ``i * batch_size .. (i + 1) * batch_size``, so that, batch after batch, row ``j`` continues
    row ``j`` of the previous batch; ``y`` is ``x`` shifted by one token.

    Returns:
        ``x`` and ``y`` (windows * batch_size, steps), int32; empty when the stream is too short.
    """
    length = len(ids) // batch_size
    windows = (length - 1) // steps if length > 1 else 0
    rows = np.asarray(ids[:batch_size * length], np.int32).reshape(batch_size, length)

    def cut(offset: int) -> np.ndarray:
        part = rows[:, offset:offset + windows * steps].reshape(batch_size, windows, steps)
        return part.transpose(1, 0, 2).reshape(-1, steps)

    return cut(0), cut(1)


def independent_windows(ids: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping windows of ``steps`` tokens and the same windows one token later."""
    windows = (len(ids) - 1) // steps
    x = np.asarray(ids[:windows * steps], np.int32).reshape(windows, steps)
    y = np.asarray(ids[1:windows * steps + 1], np.int32).reshape(windows, steps)
    return x, y
