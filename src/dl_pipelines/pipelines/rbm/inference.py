"""The rbm app's inference: the last trained RBM recommends movies to users it knows, by id, and
to new users, from their ratings."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pandas as pd
from fsspec.core import OpenFile

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.user_files import file_name, inputs_folder, read_csv
from dl_pipelines.pipelines.rbm.metrics import top_items
from dl_pipelines.pipelines.rbm.settings import PreprocessingSettings, RecommendationSettings
from dl_pipelines.pipelines.rbm.transforms import RatingsMatrix, visible_values

logger = logging.getLogger(__name__)


def _indices(ids: pd.Series, known: np.ndarray, what: str, source: str) -> np.ndarray:
    """Positions of ``ids`` among the ``known`` ids of the training data (sorted)."""
    positions = np.searchsorted(known, ids.to_numpy())
    found = (positions < len(known)) & (known[np.minimum(positions, len(known) - 1)] == ids.to_numpy())
    if not found.all():
        unknown = ids.to_numpy()[~found][0]
        raise ConfigurationError(f"{source}: {what} {unknown} is not among the {len(known)} the model "
                                 f"was trained on (ids {known.min()} to {known.max()}).")
    return positions


def all_ratings(model_input: dict[str, np.ndarray], visible: str) -> RatingsMatrix:
    """Every known rating, training and held-out parts together: the evaluation scores from the
    training part only, but a recommendation knows all that the user has rated."""
    users, items, ratings = (np.concatenate([model_input[f"{part}_{key}"] for part in ("train", "test")])
                             for key in ("users", "items", "ratings"))
    shape = (len(model_input["user_ids"]), len(model_input["item_ids"]))
    return RatingsMatrix.from_triples(users, items, visible_values(ratings, visible), shape)


def visible_rows(table: pd.DataFrame, model_input: dict[str, np.ndarray],
                 preprocessing: PreprocessingSettings, source: str) -> tuple[list[str], np.ndarray]:
    """The visible vectors of one input file: each known user's ratings (a ``user_id`` column),
    or one new user's own ratings (``item_id`` and ``rating`` columns).

    Returns:
        The users' names (their ids, or ``new``) and their (users, movies) visible vectors.
    """
    if "user_id" in table.columns:
        users = _indices(table["user_id"], model_input["user_ids"], "user", source)
        known = all_ratings(model_input, preprocessing.visible).to_dense()
        return [str(user) for user in table["user_id"]], known[users]
    if not {"item_id", "rating"} <= set(table.columns):
        raise ConfigurationError(f"{source} has columns {', '.join(map(str, table.columns))}; expected "
                                 "user_id (users the model knows) or item_id and rating (a new user).")
    ratings = pd.to_numeric(table["rating"], errors="coerce")
    if (bad := ~ratings.between(1, 5)).any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ConfigurationError(f"{source}: rating {str(table['rating'].iloc[row])!r} in data row {row + 1} "
                                 "is not a number from 1 to 5.")
    row = np.zeros((1, len(model_input["item_ids"])), dtype=np.float32)
    row[0, _indices(table["item_id"], model_input["item_ids"], "movie", source)] = visible_values(
        ratings.to_numpy(), preprocessing.visible)
    return ["new"], row


def recommend_for_inputs(new_inputs: list[OpenFile], model: keras.Model,
                         model_input: dict[str, np.ndarray], movies: pd.DataFrame,
                         preprocessing: PreprocessingSettings,
                         recommendations: RecommendationSettings) -> pd.DataFrame:
    """The top ``rbm.recommendations.top_n`` movies, never one already rated, for every user of the
    user's CSV files (``rbm.new_inputs``).

    Returns:
        One row per user and rank: ``file``, ``user`` (the id, or ``new``), ``rank`` (1 = best),
        ``item_id``, ``title``, ``genres``, ``score``.
    """
    if not new_inputs:
        raise ConfigurationError(f"No CSV files in {inputs_folder('rbm')}; put a CSV "
                                 "with a user_id column, or a new user's item_id and rating, there.")
    top_n, tables = recommendations.top_n, []
    for file in new_inputs:
        table = read_csv(file)
        users, rows = visible_rows(table, model_input, preprocessing, file_name(file))
        indices, scores = top_items(iter([(np.asarray(model(rows)), rows)]), top_n)
        tables.append(pd.DataFrame({
            "file": file.path.rsplit("/", 1)[-1], "user": np.repeat(users, top_n),
            "rank": np.tile(np.arange(1, top_n + 1), len(users)),
            "item_id": model_input["item_ids"][indices.ravel()], "score": scores.ravel().astype(float)}))
    result = pd.concat(tables, ignore_index=True).merge(movies[["item_id", "title", "genres"]],
                                                        on="item_id", how="left")
    logger.info("Recommended %d movies to each of %d user(s)", top_n, result["user"].nunique())
    return result[["file", "user", "rank", "item_id", "title", "genres", "score"]]
