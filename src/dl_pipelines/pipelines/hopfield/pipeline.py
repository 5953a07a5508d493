"""The hopfield app: ingestion -> preprocessing -> training -> evaluation, and the capacity
experiment ``hopfield_capacity`` (conventions: :mod:`dl_pipelines.core.stages`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from dl_pipelines.core.stages import stage_pipelines
from dl_pipelines.pipelines.hopfield import figures, inference, nodes


def create_pipelines() -> dict[str, Pipeline]:
    """The app pipeline ``hopfield``, its four stages ``hopfield_<stage>``, ``hopfield_capacity``
    and ``hopfield_inference``."""
    ingestion = Pipeline([
        node(nodes.ingest_bitmaps, ["raw_files", "params:hopfield.dataset", "params:hopfield.data",
                                    "params:hopfield.seed"],
             "hopfield.raw_images", name="ingest_bitmaps", namespace="hopfield.ingestion"),
    ])
    preprocessing = Pipeline([
        node(nodes.prepare_patterns, ["hopfield.raw_images", "params:hopfield.dataset"],
             "hopfield.model_input", name="prepare_patterns", namespace="hopfield.preprocessing"),
    ])
    training = Pipeline([
        node(nodes.store_patterns, ["hopfield.model_input", "params:hopfield.model"], "hopfield.network",
             name="store_patterns", namespace="hopfield.training"),
    ])
    evaluation = Pipeline([
        node(nodes.recall_patterns, ["hopfield.network", "hopfield.model_input", "params:hopfield.recall",
                                     "params:hopfield.seed"],
             "hopfield.test_predictions", name="recall_patterns", namespace="hopfield.evaluation"),
        node(nodes.score_recall, ["hopfield.test_predictions", "hopfield.model_input"],
             "hopfield.test_metrics", name="score_recall", namespace="hopfield.evaluation"),
        node(figures.plot_recall, ["hopfield.test_predictions", "hopfield.model_input",
                                   "params:hopfield.evaluation"],
             "hopfield.recall_plot", name="plot_recall", namespace="hopfield.evaluation"),
        node(figures.plot_energy, ["hopfield.test_predictions", "hopfield.model_input",
                                   "params:hopfield.evaluation"],
             "hopfield.energy_plot", name="plot_energy", namespace="hopfield.evaluation"),
    ])
    capacity = Pipeline([
        node(nodes.measure_capacity, ["params:hopfield.capacity", "params:hopfield.seed"],
             "hopfield.capacity_report", name="measure_capacity", namespace="hopfield.capacity"),
        node(nodes.summarise_capacity, ["hopfield.capacity_report", "params:hopfield.capacity"],
             "hopfield.capacity_metrics", name="summarise_capacity", namespace="hopfield.capacity"),
        node(figures.plot_capacity, ["hopfield.capacity_report", "params:hopfield.capacity"],
             "hopfield.capacity_plot", name="plot_capacity", namespace="hopfield.capacity"),
    ])
    scoring = Pipeline([
        node(inference.recall_files,
             ["hopfield.new_inputs", "hopfield.network", "hopfield.model_input",
              "params:hopfield.data.threshold", "params:hopfield.recall", "params:hopfield.seed"],
             ["hopfield.predictions", "hopfield.new_recalls_plot"], name="recall_files",
             namespace="hopfield.inference"),
    ])
    return {**stage_pipelines("hopfield", ingestion, preprocessing, training, evaluation),
            "hopfield_capacity": capacity, "hopfield_inference": scoring}
