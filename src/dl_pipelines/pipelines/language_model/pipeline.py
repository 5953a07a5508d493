"""The language_model app: ingestion -> preprocessing -> training -> evaluation, and inference
(conventions: :mod:`dl_pipelines.core.stages`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from dl_pipelines.core.stages import stage_pipelines
from dl_pipelines.core.sweep import sweep_pipeline
from dl_pipelines.pipelines.language_model import figures, inference, metrics, nodes

APP = "language_model"
TRAINING_INPUTS = [f"{APP}.model_input", f"params:{APP}.model", f"params:{APP}.training",
                   f"params:{APP}.seed"]


def create_pipelines() -> dict[str, Pipeline]:
    """The app pipeline ``language_model`` and its four stages ``language_model_<stage>``."""
    ingestion = Pipeline([
        node(nodes.ingest_text,
             ["raw_files", "user_text", f"params:{APP}.dataset", f"params:{APP}.preprocessing"],
             f"{APP}.raw_table", name="ingest_text", namespace=f"{APP}.ingestion"),
    ])
    preprocessing = Pipeline([
        node(nodes.encode_text, [f"{APP}.raw_table", f"params:{APP}.dataset", f"params:{APP}.preprocessing",
                                 f"params:{APP}.training.batch_size"],
             [f"{APP}.model_input", f"{APP}.vocabulary"], name="encode_text",
             namespace=f"{APP}.preprocessing"),
    ])
    training = Pipeline([
        node(nodes.train_language_model, TRAINING_INPUTS, [f"{APP}.model", f"{APP}.training_history"],
             name="train_language_model", namespace=f"{APP}.training"),
        node(nodes.served_generator, [f"{APP}.model", f"{APP}.vocabulary", f"params:{APP}.generation"],
             f"{APP}.mlflow_model", name="served_generator", namespace=f"{APP}.training"),
    ])
    evaluation = Pipeline([
        node(nodes.score_network, [f"{APP}.model", f"{APP}.model_input"], f"{APP}.network_nats",
             name="score_network", namespace=f"{APP}.evaluation"),
        node(nodes.score_baseline, [f"{APP}.model_input", f"params:{APP}.baseline"], f"{APP}.baseline_nats",
             name="score_baseline", namespace=f"{APP}.evaluation"),
        node(metrics.evaluation_metrics, [f"{APP}.network_nats", f"{APP}.baseline_nats", f"{APP}.model_input",
                                        f"params:{APP}.baseline.order"],
             f"{APP}.test_metrics", name="evaluation_metrics", namespace=f"{APP}.evaluation"),
        node(nodes.write_samples, [f"{APP}.model", f"{APP}.vocabulary", f"params:{APP}.generation"],
             f"{APP}.samples_text", name="write_samples", namespace=f"{APP}.evaluation"),
        node(figures.plot_learning_curves, f"{APP}.training_history", f"{APP}.learning_curves_plot",
             name="plot_learning_curves", namespace=f"{APP}.evaluation"),
    ])
    scoring = Pipeline([
        node(inference.continue_prompts, [f"{APP}.new_inputs", f"{APP}.model", f"{APP}.vocabulary",
                                          f"params:{APP}.generation"],
             f"{APP}.predictions", name="continue_prompts", namespace=f"{APP}.inference"),
    ])
    return {**stage_pipelines(APP, ingestion, preprocessing, training, evaluation),
            f"{APP}_sweep": sweep_pipeline(APP, nodes.train_language_model, TRAINING_INPUTS),
            f"{APP}_inference": scoring}
