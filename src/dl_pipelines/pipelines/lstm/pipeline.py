"""The lstm app: ingestion -> preprocessing -> training -> evaluation, and inference
(conventions: :mod:`dl_pipelines.core.stages`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from dl_pipelines.core.stages import stage_pipelines
from dl_pipelines.core.sweep import sweep_pipeline
from dl_pipelines.pipelines.lstm import baselines, figures, inference, models, nodes

TRAINING_INPUTS = ["lstm.model_input", "params:lstm.model", "params:lstm.training", "params:lstm.seed"]


def create_pipelines() -> dict[str, Pipeline]:
    """The app pipeline ``lstm`` and its four stages ``lstm_<stage>``."""
    ingestion = Pipeline([
        node(nodes.ingest_series, ["raw_files", "user_csv", "params:lstm.dataset",
                                   "params:lstm.generated", "params:lstm.csv", "params:lstm.split",
                                   "params:lstm.preprocessing"],
             "lstm.raw_series", name="ingest_series", namespace="lstm.ingestion"),
    ])
    preprocessing = Pipeline([
        node(nodes.make_windows, ["lstm.raw_series", "params:lstm.dataset", "params:lstm.split",
                                  "params:lstm.preprocessing"], "lstm.model_input",
             name="make_windows", namespace="lstm.preprocessing"),
    ])
    training = Pipeline([
        node(nodes.train_forecaster,
             TRAINING_INPUTS,
             ["lstm.model", "lstm.training_history"], name="train_forecaster",
             namespace="lstm.training"),
        node(nodes.describe_series, "lstm.model_input", "lstm.series_description", name="describe_series",
             namespace="lstm.training"),
    ])
    evaluation = Pipeline([
        node(nodes.forecast, ["lstm.model", "lstm.model_input", "params:lstm.forecast"], "lstm.forecasts",
             name="forecast", namespace="lstm.evaluation"),
        node(baselines.forecast_baselines, ["lstm.model_input", "params:lstm.forecast"],
             "lstm.baseline_forecasts", name="forecast_baselines", namespace="lstm.evaluation"),
        node(nodes.evaluate_forecasts, ["lstm.forecasts", "lstm.baseline_forecasts", "lstm.model_input"],
             ["lstm.test_metrics", "lstm.test_forecasts_report"], name="evaluate_forecasts",
             namespace="lstm.evaluation"),
        node(models.start_metrics, "lstm.model", "lstm.start_metrics", name="record_start",
             namespace="lstm.evaluation"),
        node(figures.plot_learning_curves, "lstm.training_history", "lstm.learning_curves_plot",
             name="plot_learning_curves", namespace="lstm.evaluation"),
        node(figures.plot_forecast_overview, ["lstm.forecasts", "lstm.model_input"],
             "lstm.forecast_plot", name="plot_forecast_overview", namespace="lstm.evaluation"),
        node(figures.plot_test_span, ["lstm.forecasts", "lstm.baseline_forecasts", "lstm.model_input"],
             "lstm.test_span_plot", name="plot_test_span", namespace="lstm.evaluation"),
        node(figures.plot_extrapolation, ["lstm.forecasts", "lstm.model_input"],
             "lstm.extrapolation_plot", name="plot_extrapolation", namespace="lstm.evaluation"),
    ])
    scoring = Pipeline([
        node(inference.forecast_new_history,
             ["lstm.new_inputs", "lstm.model", "lstm.series_description", "params:lstm.csv",
              "params:lstm.preprocessing", "params:lstm.forecast"],
             "lstm.predictions", name="forecast_new_history", namespace="lstm.inference"),
    ])
    return {**stage_pipelines("lstm", ingestion, preprocessing, training, evaluation),
            "lstm_sweep": sweep_pipeline("lstm", nodes.train_forecaster, TRAINING_INPUTS),
            "lstm_inference": scoring}
