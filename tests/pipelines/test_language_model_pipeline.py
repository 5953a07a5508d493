"""The language_model app end to end through a KedroSession, on a slice of its texts and a tiny
network, into a temporary MLflow store."""

import mlflow
import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.errors import ConfigurationError
from tests.conftest import SHARED_DATASETS
from tests.helpers import assert_recorded, execute_notebook, images_in, run_pipeline, top_run

APP = "language_model"
QUICK = {"preprocessing": {"steps": 32, "max_tokens": 10_000},
         "model": {"units": 32, "embedding_size": 8},
         "training": {"epochs": 2, "verbose": 0},
         "baseline": {"order": 3},
         "generation": {"length": 40, "temperatures": [0.5, 1.0]}}


def run(project, pipeline, text_path=None, **params):
    """``kedro run --pipelines=<pipeline> --params language_model.<key>=...[,text_path=<file>]``."""
    merged = {key: {**QUICK.get(key, {}), **value} if isinstance(value, dict) else value
              for key, value in {**QUICK, **params}.items()}
    run_pipeline(project, pipeline, {APP: merged, **({"text_path": text_path} if text_path else {})})


@pytest.mark.slow
def test_the_default_run_learns_writes_samples_and_serves_a_text_generator(project):
    run(project, APP)
    run_row, metrics = top_run(APP)
    assert_recorded(run_row, APP, "shakespeare_excerpt")
    assert {f"{APP}.val_loss_per_char", f"{APP}.val_bits_per_char", f"{APP}.baseline_val_loss_per_char",
            f"{APP}.train_loss", f"{APP}.val_loss"} <= set(metrics)
    # Two short epochs already beat the uniform choice among the excerpt's 61 characters.
    assert metrics[f"{APP}.val_loss_per_char"] < 0.85 * np.log(61)
    bits = metrics[f"{APP}.val_loss_per_char"] / np.log(2)
    assert metrics[f"{APP}.val_bits_per_char"] == pytest.approx(bits)
    client = mlflow.MlflowClient()
    assert [m.step for m in client.get_metric_history(run_row.run_id, f"{APP}.val_loss")] == [0, 1]
    artifacts = {a.path for a in client.list_artifacts(run_row.run_id, APP)}
    assert {f"{APP}/samples.txt", f"{APP}/learning_curves.png"} <= artifacts
    samples = (project / "data/08_reporting/language_model/samples.txt").read_text()
    assert samples.count("--- temperature") == 2 and "\nMENENIUS:" in samples

    # The served model: a prompt in, the prompt and its continuation out; length, temperature and
    # seed optional.
    served = mlflow.pyfunc.load_model(f"models:/dl_pipelines.{APP}/latest")
    answer = served.predict(pd.DataFrame({"prompt": ["ROMEO:", "ROMEO:"], "length": [25, 25],
                                          "temperature": [0.7, 0.7], "seed": [1, 1]}))
    assert answer["text"][0].startswith("ROMEO:") and len(answer["text"][0]) == len("ROMEO:") + 25
    assert answer["text"][0] == answer["text"][1]  # seeded
    assert len(served.predict(pd.DataFrame({"prompt": ["Hark"]}))["text"][0]) == len("Hark") + 40

    # Inference: every line of the user's files continued at each temperature.
    folder = project / "data/01_raw/inference/language_model"
    folder.mkdir(parents=True)
    (folder / "prompts.txt").write_text("First Citizen:\n\nWhat says\n")
    run(project, f"{APP}_inference")
    table = pd.read_csv(project / "data/07_model_output/language_model/predictions.csv")
    assert table["prompt"].tolist() == ["First Citizen:"] * 2 + ["What says"] * 2
    assert table["temperature"].tolist() == [0.5, 1.0, 0.5, 1.0]
    assert all(text.startswith(prompt) for text, prompt in zip(table["text"], table["prompt"], strict=True))

    outputs = execute_notebook(project, "language_model.ipynb")
    assert images_in(outputs) >= 1


BAD_TEXTS = [
    (b"", "my.txt is empty; expected UTF-8 text to learn from."),
    ("Ça ira, ça ira.\n".encode("latin-1") * 200, r"my.txt is not UTF-8 text \(byte 0xc7 at offset 0\)"),
    (b"Too short.\n", r"my.txt has 11 characters, shorter than one training window in each part"),
    (None, r"data/my.txt does not exist; expected your UTF-8 text file: --params text_path="),
]


def test_a_bad_text_file_stops_at_ingestion_in_one_line(project):
    for content, message in BAD_TEXTS:  # one project and MLflow store: each session costs seconds
        path = project / "data" / "my.txt"
        path.unlink(missing_ok=True)
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(ConfigurationError, match=message) as error:
            run(project, APP, text_path="data/my.txt", dataset="text")
        assert "\n" not in str(error.value)
        files = [p.name for p in (project / "data").rglob("*") if p.is_file()]
        assert files == ["my.txt"] * (content is not None)
    with pytest.raises(ConfigurationError, match="language_model.dataset=text needs your UTF-8 text file"):
        run(project, APP, dataset="text")


@pytest.fixture
def ptb_mirror(http_mirror):
    """A local HTTP mirror of the real PTB files (symlinked, never copied into the repository):
    the publisher's bytes, checked against the checksums pinned in the catalog."""
    if not (SHARED_DATASETS / "ptb" / "ptb.train.txt").is_file():
        pytest.skip("../shared/datasets/ptb is not available")
    url, folder = http_mirror
    (folder / "ptb").mkdir()
    for name in ("ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"):
        (folder / "ptb" / name).symlink_to(SHARED_DATASETS / "ptb" / name)
    return url


@pytest.mark.slow
def test_real_ptb_through_a_local_mirror_on_a_slice(project, ptb_mirror, monkeypatch):
    monkeypatch.setenv("DL_PIPELINES_DATA_MIRROR", ptb_mirror)
    run(project, APP, dataset="ptb", preprocessing={"steps": 10, "max_tokens": 4000},
        model={"units": 16, "embedding_size": 16, "layers": 1}, training={"epochs": 1, "verbose": 0},
        baseline={"order": 2}, generation={"length": 10, "temperatures": [1.0]})
    assert (project / "data/01_raw/ptb/ptb.test.txt").stat().st_size == 449945
    model_input = np.load(project / "data/05_model_input/language_model/model_input.npz")
    assert len(model_input["vocabulary"]) == 10_000 and model_input["x_train"].shape == (20 * 19, 10)
    metrics = top_run(APP)[1]
    assert {f"{APP}.{name}" for name in ("test_perplexity", "val_perplexity", "baseline_test_perplexity")
            } <= set(metrics)
    # 19 SGD steps on 4,000 words are far from the paper, but already below the uniform choice
    # among 10,000 words; the bigram baseline counted on the same slice, far below it.
    assert metrics[f"{APP}.test_perplexity"] < 10_000 and metrics[f"{APP}.baseline_test_perplexity"] < 2000
