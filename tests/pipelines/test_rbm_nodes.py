"""Unit tests of the rbm app: readers, split, sparse batches, metrics, the RBM and its nodes."""

import zipfile

import keras
import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.rbm import BernoulliRBM
from dl_pipelines.pipelines.rbm import figures, nodes, sources
from dl_pipelines.pipelines.rbm.metrics import ranking_metrics
from dl_pipelines.pipelines.rbm.models import recommender
from dl_pipelines.pipelines.rbm.transforms import RatingsMatrix, split_per_user, visible_values
from tests.helpers import app_settings, raw_params

ITEM_LINE = "{id}|Movie {id} (1995)|01-Jan-1995||http://x|0|1|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0"


def ml_100k_zip(path, ratings_lines, items=5):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ml-100k/u.data", "\n".join(ratings_lines) + "\n")
        archive.writestr("ml-100k/u.item", "\n".join(ITEM_LINE.format(id=i) for i in range(1, items + 1)))
    return path


# --- readers -----------------------------------------------------------------------------------


def test_ml_100k_zip_is_read_with_titles_and_genres(tmp_path):
    archive = ml_100k_zip(tmp_path / "ml-100k.zip", ["1\t2\t5\t881250949", "2\t1\t3\t891717742"])
    ratings, movies = sources.read_movielens("ml-100k", archive)
    assert ratings.to_dict("list") == {"user_id": [1, 2], "item_id": [2, 1], "rating": [5, 3],
                                       "timestamp": [881250949, 891717742]}
    assert movies.loc[0].to_dict() == {"item_id": 1, "title": "Movie 1 (1995)", "genres": "Action|Comedy"}


def test_ml_1m_uses_double_colons_and_latin_1_titles(tmp_path):
    with zipfile.ZipFile(tmp_path / "ml-1m.zip", "w") as archive:
        archive.writestr("ml-1m/ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n")
        archive.writestr("ml-1m/movies.dat", "1193::Am\xe9lie (2001)::Comedy|Romance\n".encode("latin-1"))
    ratings, movies = sources.read_movielens("ml-1m", tmp_path / "ml-1m.zip")
    assert ratings["item_id"].tolist() == [1193, 661]
    assert movies.loc[0, "title"] == "Am\xe9lie (2001)"


@pytest.mark.parametrize(("line", "message"), [
    ("1\t2\t5", r"ml-100k.zip: ml-100k/u.data line 2 has 3 field\(s\) \('1\\t2\\t5'\)"),
    ("1\t2\tfive\t881250949", r"line 2: rating 'five' is not a whole number"),
    ("1\t2\t7\t881250949", r"line 2: rating 7 is outside the scale; expected a whole number from 1 to 5"),
    ("1\t2\t0\t881250949", r"line 2: rating 0 is outside the scale"),
])
def test_a_bad_ratings_line_gets_one_line_naming_it(tmp_path, line, message):
    archive = ml_100k_zip(tmp_path / "ml-100k.zip", ["1\t1\t4\t881250949", line, "2\t1\t3\t1"])
    with pytest.raises(sources.RatingsFileError, match=message) as error:
        sources.read_movielens("ml-100k", archive)
    assert "\n" not in str(error.value)


def test_a_file_that_is_not_a_zip_is_named(tmp_path):
    (tmp_path / "ml-100k.zip").write_text("<html>not found</html>")
    with pytest.raises(sources.RatingsFileError, match="is not a zip file; delete it"):
        sources.read_movielens("ml-100k", tmp_path / "ml-100k.zip")


def test_synthetic_ratings_are_deterministic_distinct_and_on_the_scale():
    first, movies = sources.synthetic_ratings(200, 60, 5, 15, 0.3, seed=3)
    again, _ = sources.synthetic_ratings(200, 60, 5, 15, 0.3, seed=3)
    pd.testing.assert_frame_equal(first, again)
    assert not first.duplicated(["user_id", "item_id"]).any()
    assert first["rating"].between(1, 5).all() and first.groupby("user_id").size().min() >= 5
    assert set(first["item_id"]) <= set(movies["item_id"]) and first["user_id"].nunique() == 200
    other, _ = sources.synthetic_ratings(200, 60, 5, 15, 0.3, seed=4)
    assert not first.equals(other)


def test_synthetic_users_prefer_their_favourite_genres():
    ratings, movies = sources.synthetic_ratings(300, 200, 6, 30, 0.2, seed=0)
    genre = ratings["item_id"].map(movies.set_index("item_id")["genres"])

    def top_genre_share(genres):
        return ratings.assign(genre=genres).groupby("user_id")["genre"].agg(
            lambda g: g.value_counts(normalize=True).iloc[0]).median()

    # Against the same ratings with genres shuffled across them (no tastes, same popularity).
    shuffled = np.random.default_rng(0).permutation(genre.to_numpy())
    assert top_genre_share(genre) > 0.5 > top_genre_share(shuffled) + 0.15


# --- split, batches, metrics -------------------------------------------------------------------


def test_split_holds_out_a_quarter_of_each_users_ratings_reproducibly():
    users = np.repeat(np.arange(4), [20, 8, 4, 1])
    held_out = split_per_user(users, 0.25, seed=1)
    assert np.bincount(users[held_out], minlength=4).tolist() == [5, 2, 1, 0]
    np.testing.assert_array_equal(held_out, split_per_user(users, 0.25, seed=1))
    assert not np.array_equal(held_out, split_per_user(users, 0.25, seed=2))


@pytest.mark.parametrize("dense_limit", [0, 2**20], ids=["sparse rows", "dense matrix"])
def test_dense_batches_rebuild_the_matrix(monkeypatch, dense_limit):
    """Both paths, batches rebuilt from the sparse rows (large data) and sliced from the dense
    matrix (small data), give the same batches in the same seeded order."""
    monkeypatch.setattr(RatingsMatrix, "DENSE_LIMIT_BYTES", dense_limit)
    rng = np.random.default_rng(0)
    dense = (rng.random((37, 11)) < 0.3) * rng.integers(1, 6, (37, 11))
    users, items = np.nonzero(dense)
    matrix = RatingsMatrix.from_triples(users, items, dense[users, items], dense.shape)
    assert matrix.dense_batches(8).options().autotune.enabled is False  # core/compat.py
    batches = [b.numpy() for b in matrix.dense_batches(8)]
    assert [len(b) for b in batches] == [8, 8, 8, 8, 5]
    np.testing.assert_array_equal(np.concatenate(batches), dense)
    shuffled = np.concatenate([b.numpy() for b in matrix.dense_batches(8, shuffle=True, seed=1)])
    assert sorted(map(tuple, shuffled)) == sorted(map(tuple, dense.astype(np.float32)))
    monkeypatch.setattr(RatingsMatrix, "DENSE_LIMIT_BYTES", 2**20 - dense_limit)  # the other path
    other = np.concatenate([b.numpy() for b in matrix.dense_batches(8, shuffle=True, seed=1)])
    np.testing.assert_array_equal(shuffled, other)


def test_visible_values_are_ones_or_ratings_over_five():
    np.testing.assert_allclose(visible_values(np.array([1, 5]), "implicit"), [1, 1])
    np.testing.assert_allclose(visible_values(np.array([1, 5]), "rating"), [0.2, 1.0])


def test_ranking_metrics_against_hand_computed_values():
    # User 0 holds out items 1 and 3; user 1 holds out item 0; user 2 holds out nothing (skipped).
    held_out = RatingsMatrix.from_triples(np.array([0, 0, 1]), np.array([1, 3, 0]),
                                          np.ones(3), (3, 5))
    top = np.array([[1, 2, 3], [4, 0, 2], [0, 1, 2]])
    metrics = ranking_metrics(top, held_out, k=3)
    d = 1 / np.log2(np.arange(2, 5))
    assert metrics["precision_at_3"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert metrics["recall_at_3"] == pytest.approx((1 + 1) / 2)
    assert metrics["ndcg_at_3"] == pytest.approx(((d[0] + d[2]) / (d[0] + d[1]) + d[1] / d[0]) / 2)
    assert metrics["map_at_3"] == pytest.approx(((1 + 2 / 3) / 2 + 1 / 2) / 2)


# --- the model ---------------------------------------------------------------------------------


def two_taste_data(users=200, items=20, seed=0):
    """Half the users like items 0-9, half 10-19: each rates a random 6 of their 10."""
    rng = np.random.default_rng(seed)
    dense = np.zeros((users, items), np.float32)
    for user in range(users):
        liked = np.arange(10) + (10 if user % 2 else 0)
        dense[user, rng.choice(liked, 6, replace=False)] = 1
    return dense


def test_cd_training_lowers_the_reconstruction_error_and_learns_the_tastes():
    dense = two_taste_data()
    keras.utils.set_random_seed(0)
    rbm = BernoulliRBM(20, 8, cd_steps=1, seed=0)
    rbm.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.5))
    history = rbm.fit(dense, batch_size=20, epochs=30, verbose=0).history
    assert history["reconstruction_error"][-1] < 0.6 * history["reconstruction_error"][0]
    scores = rbm(dense[:2]).numpy()
    assert scores[0, :10].mean() > 2 * scores[0, 10:].mean()  # user 0 likes the first ten
    assert scores[1, 10:].mean() > 2 * scores[1, :10].mean()


def test_rbm_saves_reloads_and_serves_as_plain_layers(tmp_path):
    rbm = BernoulliRBM(20, 4, cd_steps=2, weight_decay=0.01, seed=1)
    rbm.compile(optimizer=keras.optimizers.SGD(0.05))
    rbm.fit(two_taste_data(), batch_size=50, epochs=2, verbose=0)
    rbm.save(tmp_path / "rbm.keras")
    reloaded = keras.saving.load_model(tmp_path / "rbm.keras")
    assert isinstance(reloaded, BernoulliRBM) and reloaded.cd_steps == 2
    visible = two_taste_data()[:5]
    np.testing.assert_allclose(reloaded(visible), rbm(visible), rtol=1e-6)
    np.testing.assert_allclose(recommender(rbm).predict(visible, verbose=0), rbm(visible), rtol=1e-5)


def test_free_energy_is_lower_for_the_data_it_learned():
    dense = two_taste_data()
    rbm = BernoulliRBM(20, 8, seed=0)
    rbm.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.5))
    rbm.fit(dense, batch_size=20, epochs=20, verbose=0)
    noise = (np.random.default_rng(1).random(dense.shape) < 0.3).astype(np.float32)
    assert rbm.free_energy(dense).numpy().mean() < rbm.free_energy(noise).numpy().mean()


# --- nodes -------------------------------------------------------------------------------------


def tiny_ratings():
    ratings, movies = sources.synthetic_ratings(120, 40, 4, 12, 0.2, seed=0)
    return ratings, movies


def settings(**changes):
    return app_settings("rbm", **changes)


def split(ratings, s):
    return nodes.split_ratings(ratings, s.dataset, s.split, s.recommendations, s.evaluation, s.seed)


def train(model_input, s):
    return nodes.train_rbm(model_input, s.preprocessing, s.model, s.training, s.seed)


def test_ingestion_generates_the_synthetic_ratings_of_the_settings():
    s = settings(synthetic__users=50, synthetic__items=30, seed=3)
    ratings, movies = nodes.ingest_ratings(None, s.dataset, s.synthetic, s.seed)
    expected, _ = sources.synthetic_ratings(50, 30, 10, 40, 0.3, seed=3)
    pd.testing.assert_frame_equal(ratings, expected)
    assert ratings["user_id"].nunique() == 50 and len(movies) == 30


def test_split_node_indexes_users_and_movies_and_never_mixes_parts():
    ratings, _ = tiny_ratings()
    model_input = split(ratings, settings())
    assert len(model_input["user_ids"]) == 120
    train = set(zip(model_input["train_users"], model_input["train_items"], strict=True))
    test = set(zip(model_input["test_users"], model_input["test_items"], strict=True))
    assert not train & test and len(train) + len(test) == len(ratings)
    assert len(test) / len(ratings) == pytest.approx(0.25, abs=0.03)


def test_an_unknown_user_asked_for_recommendations_stops_before_training():
    ratings, _ = tiny_ratings()
    with pytest.raises(ConfigurationError, match=r"rbm.recommendations.user_id=999 is not a user of "
                                                 r"synthetic \(user ids run from 1 to 120, 120 users\)"):
        split(ratings, settings(recommendations__user_id=999))


def test_more_recommendations_than_movies_stops_before_training():
    ratings, _ = tiny_ratings()
    with pytest.raises(ConfigurationError, match=r"rbm.evaluation.k=500 is more than the 40 rated movies"):
        split(ratings, settings(evaluation__k=500))


def test_recommendations_and_report_exclude_training_movies():
    ratings, movies = tiny_ratings()
    s = settings(recommendations__user_id=7, recommendations__top_n=5)
    model_input = split(ratings, s)
    rbm, history = train(model_input, s)
    assert set(history) == {"reconstruction_error", "free_energy"} and len(history["free_energy"]) == 2
    table = nodes.recommend(rbm, model_input, movies, s.preprocessing, s.recommendations)
    assert len(table) == 5 * 120 and table.groupby("user_id")["rank"].max().eq(5).all()
    assert table["title"].notna().all()
    seen = set(zip(model_input["user_ids"][model_input["train_users"]],
                   model_input["item_ids"][model_input["train_items"]], strict=True))
    assert not seen & set(zip(table["user_id"], table["item_id"], strict=True))
    report = nodes.user_report(table, model_input, movies, s.recommendations, s.dataset)
    assert report.startswith("# Recommendations for user 7 (synthetic)")
    assert "## Recommended: top 5 movies they had not rated" in report


def test_evaluation_reports_model_and_baseline_metrics():
    ratings, _ = tiny_ratings()
    s = settings(evaluation__k=5)
    model_input = split(ratings, s)
    rbm, _ = train(model_input, s)
    metrics, table = nodes.evaluate_recommendations(rbm, model_input, s.preprocessing, s.evaluation)
    for name in ("precision", "recall", "ndcg", "map"):
        assert 0 <= metrics[f"test_{name}_at_5"]["value"] <= 1
        assert 0 <= metrics[f"baseline_test_{name}_at_5"]["value"] <= 1
    assert list(table.columns) == ["metric", "rbm", "most_popular"]
    figures.plot_ranking_metrics(table)


@pytest.mark.parametrize(("change", "culprit"), [
    ({"dataset": "netflix"}, "rbm.dataset='netflix' is not known; expected one of: synthetic, ml-100k"),
    ({"preprocessing__visible": "stars"}, "rbm.preprocessing.visible='stars'"),
    ({"model__hidden_units": 0}, "rbm.model.hidden_units=0"),
    ({"training__momentum": 1.5}, "rbm.training.momentum=1.5"),
    ({"split__test_fraction": 1}, "rbm.split.test_fraction=1"),
    ({"evaluation__k": 0}, "rbm.evaluation.k=0"),
    ({"training__precision": "mixed_float16"}, "rbm.training.precision='mixed_float16' is invalid: "
                                               "the RBM always trains in float32"),
    ({"training__weight_decay": -0.1}, "rbm.training.weight_decay=-0.1"),
    ({"training__early_stopping_patience": 3}, "rbm.training.early_stopping_patience=3"),
    ({"training__optimizer": "adam"}, "rbm.training.optimizer is not a known setting"),
    ({"split__validation_fraction": 0.1}, "rbm.split.validation_fraction is not a known setting"),
    ({"synthetic__items": 5}, "rbm.synthetic.items=5"),
    ({"recommendations__user_id": -1}, "rbm.recommendations.user_id=-1"),
])
def test_bad_parameters_are_named_in_one_line(change, culprit):
    with pytest.raises(ConfigurationError) as error:
        settings(**change)
    assert culprit in str(error.value) and "\n" not in str(error.value)


def test_documented_presets_are_valid_and_fill_every_null():
    for name, preset in raw_params("rbm")["presets"].items():
        s = settings(dataset=preset.get("dataset", name), preset=name)
        assert s.model.hidden_units == preset["model"]["hidden_units"]
        assert s.training.batch_size == preset["training"]["batch_size"]
        assert s.training.momentum == preset["training"]["momentum"]
        assert s.preprocessing.visible == preset["preprocessing"]["visible"]


def test_explicit_values_win_over_the_preset_and_run_settings_fill_training():
    s = settings(dataset="ml-100k", model__cd_steps=3, training__strategy="cpu")
    assert s.model.cd_steps == 3 and s.model.hidden_units == 500  # the ml-100k preset's
    assert s.training.strategy == "cpu" and s.training.precision == "float32"  # from `run`
