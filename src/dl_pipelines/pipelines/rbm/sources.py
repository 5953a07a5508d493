"""Ratings in the MovieLens format: the GroupLens zip files, read with checks that name the bad
line, and a synthetic set with planted tastes that the default (offline) run learns from.

Every loader returns two frames:

- ``ratings``: ``user_id``, ``item_id``, ``rating`` (int, 1..5), ``timestamp`` (int, Unix seconds);
- ``movies``: ``item_id``, ``title``, ``genres`` (``|``-separated, as in ``ml-1m/movies.dat``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from dl_pipelines.core.errors import ConfigurationError

RATING_SCALE = (1, 5)
RATING_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]

# Genre flags of ml-100k's u.item, in file order (u.genre).
ML_100K_GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                  "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
                  "Romance", "Sci-Fi", "Thriller", "War", "Western"]

# name: (zip file, ratings member, its separator, movies member)
ARCHIVES = {
    "ml-100k": ("ml-100k.zip", "ml-100k/u.data", "\t", "ml-100k/u.item"),
    "ml-1m": ("ml-1m.zip", "ml-1m/ratings.dat", "::", "ml-1m/movies.dat"),
}


class RatingsFileError(ConfigurationError):
    """A ratings or movies file holds a line the app cannot read."""


def _member(archive: zipfile.ZipFile, zip_name: str, member: str) -> str:
    try:
        return archive.read(member).decode("latin-1")  # GroupLens titles are latin-1
    except KeyError:
        raise RatingsFileError(f"{zip_name} has no {member}; delete it so that the app downloads "
                               "the GroupLens file again.") from None


def parse_ratings(text: str, separator: str, source: str) -> pd.DataFrame:
    """Parse ``user<sep>item<sep>rating<sep>timestamp`` lines into the ratings frame.

    Raises:
        RatingsFileError: Naming the first line with a wrong number of fields, a non-integer
            field, or a rating outside 1..5.
    """
    lines = text.splitlines()
    if lines and not lines[-1].strip():
        lines.pop()
    # '::' is two characters: pandas' fast parser takes one, so split the lines ourselves.
    fields = pd.Series(lines, dtype=object).str.split(separator, regex=False)
    counts = fields.str.len()
    bad = np.flatnonzero(counts.to_numpy() != len(RATING_COLUMNS))
    if len(bad):
        line = int(bad[0])
        raise RatingsFileError(
            f"{source} line {line + 1} has {counts.iloc[line]} field(s) ({lines[line]!r}); expected "
            f"user id, item id, rating and timestamp separated by {separator!r}.")
    table = pd.DataFrame(fields.tolist(), columns=RATING_COLUMNS)
    numbers = table.apply(pd.to_numeric, errors="coerce")
    not_int = numbers.isna() | (numbers % 1 != 0)
    if not_int.to_numpy().any():
        line = int(np.flatnonzero(not_int.any(axis=1).to_numpy())[0])
        column = not_int.columns[not_int.iloc[line].to_numpy()][0]
        raise RatingsFileError(f"{source} line {line + 1}: {column} {table.at[line, column]!r} is not "
                               "a whole number.")
    ratings = numbers.astype(np.int64)
    low, high = RATING_SCALE
    outside = np.flatnonzero(~ratings["rating"].between(low, high).to_numpy())
    if len(outside):
        line = int(outside[0])
        raise RatingsFileError(f"{source} line {line + 1}: rating {ratings.at[line, 'rating']} is "
                               f"outside the scale; expected a whole number from {low} to {high}.")
    return ratings


def _ml_100k_movies(text: str, source: str) -> pd.DataFrame:
    rows = [line.split("|") for line in text.splitlines() if line.strip()]
    width = 5 + len(ML_100K_GENRES)
    for number, row in enumerate(rows, 1):
        if len(row) != width:
            raise RatingsFileError(f"{source} line {number} has {len(row)} field(s); expected {width} "
                                   "(id|title|release date|video date|IMDb URL|19 genre flags).")
    flags = np.array([row[5:] for row in rows]) == "1"
    genres = ["|".join(g for g, on in zip(ML_100K_GENRES, row, strict=True) if on) for row in flags]
    return pd.DataFrame({"item_id": [int(row[0]) for row in rows],
                         "title": [row[1] for row in rows], "genres": genres})


def _ml_1m_movies(text: str, source: str) -> pd.DataFrame:
    rows = [line.split("::") for line in text.splitlines() if line.strip()]
    for number, row in enumerate(rows, 1):
        if len(row) != 3:
            raise RatingsFileError(f"{source} line {number} has {len(row)} field(s); expected "
                                   "MovieID::Title::Genres.")
    return pd.DataFrame({"item_id": [int(row[0]) for row in rows],
                         "title": [row[1] for row in rows], "genres": [row[2] for row in rows]})


def read_movielens(name: str, archive_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ratings and movies of the GroupLens zip ``archive_path`` (``ml-100k`` or ``ml-1m``)."""
    zip_name, ratings_member, separator, movies_member = ARCHIVES[name]
    try:
        archive = zipfile.ZipFile(archive_path)
    except zipfile.BadZipFile:
        raise RatingsFileError(f"{archive_path} is not a zip file; delete it so that the app "
                               "downloads it again.") from None
    with archive:
        ratings = parse_ratings(_member(archive, zip_name, ratings_member), separator,
                                f"{zip_name}: {ratings_member}")
        movies_text = _member(archive, zip_name, movies_member)
    read_movies = _ml_100k_movies if name == "ml-100k" else _ml_1m_movies
    return ratings, read_movies(movies_text, f"{zip_name}: {movies_member}")


# --- synthetic ratings with planted tastes ---------------------------------------------------

SYNTHETIC_GENRES = ["Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi", "Thriller",
                    "Documentary", "Animation", "Western", "Musical", "Crime"]


def synthetic_ratings(users: int, items: int, genres: int, ratings_per_user: int,
                      taste_concentration: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ratings in the MovieLens format whose structure a recommender can find.

    Each movie has one genre and a Zipf-like popularity; each user has tastes, a Dirichlet draw
    over the genres (a small ``taste_concentration`` gives users one or two favourite genres).
    A user rates about ``ratings_per_user`` distinct movies (at least 5), drawn without
    replacement with probability proportional to taste x popularity, and rates higher the genres
    they like. The popularity baseline sees only the popularity; a model of tastes does better.
    Users are generated in chunks of about 4 million user x movie cells, so 10 million ratings
    fit in a few hundred MB.
    """
    rng = np.random.default_rng(seed)
    genre_of_item = rng.integers(genres, size=items)
    popularity = rng.permutation(1.0 / np.arange(1, items + 1) ** 0.7)
    counts = np.clip(rng.geometric(1 / max(ratings_per_user - 4, 1), size=users) + 4, 5, items // 2)
    chunk_users = max(1, 4_000_000 // items)
    frames = []
    for start in range(0, users, chunk_users):
        stop = min(start + chunk_users, users)
        tastes = rng.dirichlet(np.full(genres, taste_concentration), size=stop - start)
        affinity = tastes[:, genre_of_item]  # (chunk users, items)
        # Sampling without replacement, proportional to the weights: the Gumbel top-k trick.
        keys = np.log(affinity * popularity + 1e-12) + rng.gumbel(size=affinity.shape)
        chunk_counts = counts[start:stop]
        most = int(chunk_counts.max())
        best = np.argpartition(-keys, most - 1, axis=1)[:, :most]
        best = np.take_along_axis(best, np.argsort(-np.take_along_axis(keys, best, 1), axis=1), 1)
        rows, ranks = np.nonzero(np.arange(most) < chunk_counts[:, None])
        item_index = best[rows, ranks]
        liking = np.log(genres * affinity[rows, item_index] + 1e-3)
        stars = np.clip(np.rint(3.2 + 0.6 * liking + rng.normal(0, 0.8, len(rows))), 1, 5)
        frames.append(pd.DataFrame({
            "user_id": (start + rows + 1).astype(np.int64),
            "item_id": (item_index + 1).astype(np.int64),
            "rating": stars.astype(np.int64),
            "timestamp": 874_724_710 + rng.integers(0, 20_000_000, len(rows)),
        }))
    names = [SYNTHETIC_GENRES[g % len(SYNTHETIC_GENRES)] + (f" {g // len(SYNTHETIC_GENRES) + 1}"
                                                            if g >= len(SYNTHETIC_GENRES) else "")
             for g in range(genres)]
    movies = pd.DataFrame({
        "item_id": np.arange(1, items + 1),
        "title": [f"Synthetic {names[g]} movie #{i + 1}" for i, g in enumerate(genre_of_item)],
        "genres": [names[g] for g in genre_of_item],
    })
    return pd.concat(frames, ignore_index=True), movies

