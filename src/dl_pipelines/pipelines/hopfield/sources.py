"""Readers of the hopfield app's datasets: letters drawn in code (and your own bitmaps), random
+-1 patterns, and binarised digit images. Each gives bitmaps, uint8 (P, H, W) of 0 (off) and 1
(on), and a name per bitmap."""

from __future__ import annotations

import math

import numpy as np

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.images import load_image_dataset

ON, OFF = "#", "."
# 10 x 10 capitals with two-pixel strokes. Letters share their background, so they are correlated
# (overlaps up to 0.7): the Hebbian rule cannot hold them, the Storkey rule can (docs/apps/hopfield.md).
LETTERS: dict[str, list[str]] = {
    "A": ["..######..", ".########.", "###....###", "##......##", "##......##",
          "##########", "##########", "##......##", "##......##", "##......##"],
    "C": ["..#######.", ".#########", "###.......", "##........", "##........",
          "##........", "##........", "###.......", ".#########", "..#######."],
    "E": ["##########", "##########", "##........", "##........", "########..",
          "########..", "##........", "##........", "##########", "##########"],
    "H": ["##......##", "##......##", "##......##", "##......##", "##########",
          "##########", "##......##", "##......##", "##......##", "##......##"],
    "J": ["..########", "..########", "......##..", "......##..", "......##..",
          "......##..", "##....##..", "##....##..", "########..", ".######..."],
    "K": ["##.....###", "##....###.", "##...###..", "##..###...", "######....",
          "######....", "##..###...", "##...###..", "##....###.", "##.....###"],
    "L": ["##........", "##........", "##........", "##........", "##........",
          "##........", "##........", "##........", "##########", "##########"],
    "O": ["..######..", ".########.", "###....###", "##......##", "##......##",
          "##......##", "##......##", "###....###", ".########.", "..######.."],
    "P": ["########..", "#########.", "##.....###", "##......##", "##.....###",
          "#########.", "########..", "##........", "##........", "##........"],
    "S": [".#########", "##########", "##........", "###.......", ".########.",
          "..########", ".........#", "........##", "##########", "#########."],
    "T": ["##########", "##########", "....##....", "....##....", "....##....",
          "....##....", "....##....", "....##....", "....##....", "....##...."],
    "V": ["##......##", "##......##", "##......##", "##......##", "###....###",
          ".##....##.", ".###..###.", "..######..", "...####...", "....##...."],
    "X": ["##......##", "###....###", ".###..###.", "..######..", "...####...",
          "...####...", "..######..", ".###..###.", "###....###", "##......##"],
    "Z": ["##########", "##########", ".......###", "......###.", ".....###..",
          "....###...", "...###....", "..###.....", "##########", "##########"],
}


def bitmap_problem(rows: list[str], like: list[str]) -> str | None:
    """What keeps ``rows`` (strings of ``#`` on and ``.`` off) from being a bitmap of the size of
    ``like``, said after the bitmap's name; None when it is one."""
    shape = f"{len(like)} rows of {len(like[0])} pixels"
    if len(rows) != len(like) or any(len(row) != len(like[0]) for row in rows):
        return f"is not {shape}; expected {shape}, as the drawn letters."
    for number, row in enumerate(rows, start=1):
        if other := set(row) - {ON, OFF}:
            return (f"row {number} ({row!r}) holds {''.join(sorted(other))!r}: a bitmap is binary, "
                    f"'{ON}' (on) and '{OFF}' (off) only.")
    return None


def parse_bitmap(rows: list[str]) -> np.ndarray:
    """A bitmap of rows of ``#`` and ``.`` as a uint8 array of 1 and 0."""
    return np.array([[char == ON for char in row] for row in rows], dtype=np.uint8)


def letter_bitmaps(letters: list[str], bitmaps: dict[str, list[str]]) -> tuple[np.ndarray, list[str]]:
    """The drawn ``letters``, then the user's ``bitmaps`` (checked by the settings)."""
    drawn = {**{name: LETTERS[name] for name in letters}, **bitmaps}
    return np.stack([parse_bitmap(rows) for rows in drawn.values()]), list(drawn)


def random_bitmaps(units: int, patterns: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """``patterns`` random patterns of ``units`` pixels, each pixel on with probability 1/2
    (seeded), laid out as the most nearly square image of ``units`` pixels (for the figures)."""
    height = max(d for d in range(1, math.isqrt(units) + 1) if units % d == 0)
    bits = np.random.default_rng(seed).integers(0, 2, (patterns, height, units // height), dtype=np.uint8)
    return bits, [f"#{index}" for index in range(patterns)]


def binarised_images(dataset: str, raw_files: RawFiles, patterns: int, threshold: float
                     ) -> tuple[np.ndarray, list[str]]:
    """``patterns`` training images of ``dataset`` (digits, mnist), the first of each class first,
    then the next ones in order, a pixel on where it is above ``threshold`` of full brightness."""
    images = load_image_dataset(dataset, raw_files)
    x, y = images["x_train"][..., 0], images["y_train"]
    firsts = [int(np.flatnonzero(y == label)[0]) for label in np.unique(y)]
    others = np.setdiff1d(np.arange(min(len(y), patterns + len(firsts))), firsts)
    chosen = [*firsts, *others.tolist()][:patterns]
    names = np.asarray(images["class_names"]).astype(str)
    return (x[chosen] > threshold * 255).astype(np.uint8), [names[y[i]] for i in chosen]
