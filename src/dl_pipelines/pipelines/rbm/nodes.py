"""Nodes of the rbm app. Pure functions: frames, arrays, models and typed settings in, frames,
arrays, models and dicts out; the catalog does the I/O and kedro-mlflow owns the MLflow run.

The model only ever sees a user's TRAINING ratings: recommendations and the test metrics are
computed from them, and the held-out ratings are used for nothing but counting hits.
"""

from __future__ import annotations

import logging
from typing import Any

import keras
import numpy as np
import pandas as pd

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.mlflow_metrics import mlflow_metrics
from dl_pipelines.core.rbm import BernoulliRBM, RbmModelSettings, RbmTraining, compiled_rbm
from dl_pipelines.core.training import train_model
from dl_pipelines.pipelines.rbm import sources
from dl_pipelines.pipelines.rbm.metrics import popularity_scores, ranking_metrics, top_items
from dl_pipelines.pipelines.rbm.models import recommender
from dl_pipelines.pipelines.rbm.settings import (
    EvaluationSettings,
    PreprocessingSettings,
    RbmSplitSettings,
    RecommendationSettings,
    SyntheticSettings,
)
from dl_pipelines.pipelines.rbm.transforms import RatingsMatrix, split_per_user, visible_values

logger = logging.getLogger(__name__)

# Users scored at once when recommending: one dense (batch, movies) block at a time.
SCORING_BATCH = 1024


# --- ingestion -----------------------------------------------------------------------------


def ingest_ratings(raw_files: RawFiles, dataset: str, synthetic: SyntheticSettings, seed: int
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ratings and movies of ``rbm.dataset``: generated (``synthetic``, seeded by ``rbm.seed``)
    or read from the GroupLens zip (``ml-100k``, ``ml-1m``), downloaded once into ``data/01_raw``."""
    if dataset == "synthetic":
        ratings, movies = sources.synthetic_ratings(seed=seed, **synthetic.model_dump())
    else:
        zip_name = sources.ARCHIVES[dataset][0]
        ratings, movies = sources.read_movielens(dataset, raw_files.fetch(dataset, [zip_name])[zip_name])
    logger.info("%s: %d ratings by %d users of %d movies", dataset, len(ratings),
                ratings["user_id"].nunique(), ratings["item_id"].nunique())
    return ratings, movies


# --- preprocessing -------------------------------------------------------------------------


def split_ratings(ratings: pd.DataFrame, dataset: str, split: RbmSplitSettings,
                  recommendations: RecommendationSettings, evaluation: EvaluationSettings, seed: int
                  ) -> dict[str, np.ndarray]:
    """Index users and movies and split each user's ratings into training and held-out parts.

    Returns:
        ``user_ids`` / ``item_ids`` (the original ids of the indices 0..n-1) and, for ``train``
        and ``test``, the ``<part>_users``, ``<part>_items`` indices and ``<part>_ratings``.

    Raises:
        ConfigurationError: When ``rbm.recommendations.user_id`` is not a user of the dataset, or
            top_n or k exceed the number of movies (checked here, before any training).
    """
    user_ids, users = np.unique(ratings["user_id"].to_numpy(), return_inverse=True)
    item_ids, items = np.unique(ratings["item_id"].to_numpy(), return_inverse=True)
    chosen = recommendations.user_id
    if chosen is not None and chosen not in set(user_ids.tolist()):
        raise ConfigurationError(
            f"Parameter rbm.recommendations.user_id={chosen!r} is not a user of {dataset} "
            f"(user ids run from {user_ids.min()} to {user_ids.max()}, {len(user_ids)} users).")
    for name, value in (("recommendations.top_n", recommendations.top_n), ("evaluation.k", evaluation.k)):
        if value > len(item_ids):
            raise ConfigurationError(f"Parameter rbm.{name}={value} is more than the {len(item_ids)} "
                                     f"rated movies of {dataset}; choose a smaller number.")
    held_out = split_per_user(users, split.test_fraction, seed)
    stars = ratings["rating"].to_numpy()
    parts = {"train": ~held_out, "test": held_out}
    logger.info("Split per user: %d training and %d held-out ratings", (~held_out).sum(), held_out.sum())
    return {"user_ids": user_ids, "item_ids": item_ids,
            **{f"{part}_{key}": values[mask]
               for part, mask in parts.items()
               for key, values in (("users", users), ("items", items), ("ratings", stars))}}


def ratings_matrix(model_input: dict[str, np.ndarray], part: str, visible: str = "implicit"
                   ) -> RatingsMatrix:
    """The ``train`` or ``test`` ratings as a users x movies matrix of visible values."""
    shape = (len(model_input["user_ids"]), len(model_input["item_ids"]))
    return RatingsMatrix.from_triples(
        model_input[f"{part}_users"], model_input[f"{part}_items"],
        visible_values(model_input[f"{part}_ratings"], visible), shape)


# --- training ------------------------------------------------------------------------------


def train_rbm(model_input: dict[str, np.ndarray], preprocessing: PreprocessingSettings,
              model: RbmModelSettings, training: RbmTraining, seed: int
              ) -> tuple[BernoulliRBM, dict[str, list[float]]]:
    """Train the RBM by CD-k on every user's training ratings, in shuffled batches of users.

    Per-epoch ``rbm.train_reconstruction_error`` and ``rbm.train_free_energy`` go to MLflow;
    checkpoints and resume come from the shared ``train_model``.
    """
    train = ratings_matrix(model_input, "train", preprocessing.visible)
    users, movies = train.shape

    def build() -> BernoulliRBM:
        frequencies = np.bincount(train.items, minlength=movies) / users
        return compiled_rbm(movies, model, training, users, frequencies, seed)

    logger.info("Training an RBM with %d hidden units on %d users x %d movies (%d ratings) for %d "
                "epochs", model.hidden_units, users, movies, train.nnz, training.epochs)
    return train_model(
        build, lambda batch_size: train.dense_batches(batch_size, shuffle=True, seed=seed),
        None, app="rbm", seed=seed, training=training, samples=users)


# --- recommendation and evaluation ---------------------------------------------------------


def _top_unseen(scores_of: Any, train: RatingsMatrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` unseen movies of every user, given ``scores_of(visible batch)``."""
    batches = ((scores_of(batch), batch) for batch in train.dense_batches(SCORING_BATCH))
    return top_items(batches, k)


def recommend(rbm: BernoulliRBM, model_input: dict[str, np.ndarray], movies: pd.DataFrame,
              preprocessing: PreprocessingSettings, recommendations: RecommendationSettings
              ) -> pd.DataFrame:
    """Every user's top-N movies they have not rated, scored from their training ratings only.

    Returns:
        One row per user and rank: ``user_id``, ``rank`` (1 = best), ``item_id``, ``title``,
        ``genres``, ``score`` (the RBM's probability of the movie's visible unit).
    """
    top_n = recommendations.top_n
    train = ratings_matrix(model_input, "train", preprocessing.visible)
    indices, scores = _top_unseen(rbm, train, top_n)
    table = pd.DataFrame({
        "user_id": np.repeat(model_input["user_ids"], top_n),
        "rank": np.tile(np.arange(1, top_n + 1), len(indices)),
        "item_id": model_input["item_ids"][indices.ravel()],
        "score": scores.ravel().astype(np.float64),
    })
    table = table.merge(movies[["item_id", "title", "genres"]], on="item_id", how="left")
    return table[["user_id", "rank", "item_id", "title", "genres", "score"]]


def evaluate_recommendations(rbm: BernoulliRBM, model_input: dict[str, np.ndarray],
                             preprocessing: PreprocessingSettings, evaluation: EvaluationSettings
                             ) -> tuple[dict[str, dict[str, float]], pd.DataFrame]:
    """Precision, recall, NDCG and MAP at k of the RBM's and the most-popular baseline's top-k
    lists against the held-out ratings.

    Returns:
        The MLflow metrics ``test_*`` and ``baseline_test_*``, and the same as a table with one
        row per metric and the columns ``rbm`` and ``most_popular``.
    """
    k = evaluation.k
    train = ratings_matrix(model_input, "train", preprocessing.visible)
    held_out = ratings_matrix(model_input, "test")
    model_top, _ = _top_unseen(rbm, train, k)
    popularity = popularity_scores(train)
    baseline_top, _ = _top_unseen(lambda batch: np.broadcast_to(popularity, tuple(batch.shape)), train, k)
    table = pd.DataFrame({"rbm": ranking_metrics(model_top, held_out, k),
                          "most_popular": ranking_metrics(baseline_top, held_out, k)})
    table = table.rename_axis("metric").reset_index()
    logger.info("Held-out ratings, RBM against the most-popular baseline:\n%s",
                table.to_string(index=False, float_format="%.4f"))
    metrics = {f"{prefix}{row.metric}": float(value) for row in table.itertuples()
               for prefix, value in (("test_", row.rbm), ("baseline_test_", row.most_popular))}
    return mlflow_metrics(metrics), table


def user_report(table: pd.DataFrame, model_input: dict[str, np.ndarray], movies: pd.DataFrame,
                recommendations: RecommendationSettings, dataset: str) -> str:
    """A readable Markdown page for one user, like the course's: the movies they rated (in
    training) and the movies recommended to them (``table``, from :func:`recommend`), marking those
    they did rate in the held-out part.
    """
    user_id = recommendations.user_id
    user_id = int(model_input["user_ids"][0] if user_id is None else user_id)
    user = int(np.searchsorted(model_input["user_ids"], user_id))
    described = movies.set_index("item_id")[["title", "genres"]]

    def rated(part: str) -> pd.DataFrame:
        mine = model_input[f"{part}_users"] == user
        item_ids = model_input["item_ids"][model_input[f"{part}_items"][mine]]
        return described.reindex(item_ids).rename_axis("item_id").reset_index().assign(
            rating=model_input[f"{part}_ratings"][mine])

    training = rated("train").sort_values(["rating", "title"], ascending=[False, True])
    held_out = set(rated("test")["item_id"])
    mine = table[table["user_id"] == user_id].copy()
    mine["rated in held-out part"] = np.where(mine["item_id"].isin(held_out), "yes", "")
    return "\n".join([
        f"# Recommendations for user {user_id} ({dataset})", "",
        f"## What user {user_id} rated ({len(training)} training ratings)", "",
        training.to_markdown(index=False), "",
        f"## Recommended: top {len(mine)} movies they had not rated", "",
        mine[["rank", "item_id", "title", "genres", "score", "rated in held-out part"]].to_markdown(
            index=False, floatfmt=".3f"), "",
        f"{int((mine['rated in held-out part'] == 'yes').sum())} of the {len(mine)} recommendations "
        f"are among the {len(held_out)} movies this user rated in the held-out part.", "",
    ])


def package_recommender(rbm: BernoulliRBM) -> keras.Model:
    """The served model: a user's visible vector in, a score per movie out (plain Keras layers)."""
    return recommender(rbm)
