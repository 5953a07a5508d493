"""The same command twice on the same machine gives the same numbers: every test metric of two
runs is identical, to the last digit (seeded weights, shuffles and data; TensorFlow on a CPU)."""

import mlflow
import pytest

from tests.helpers import run_pipeline

QUICK = {
    "regression": {"training": {"epochs": 3, "verbose": 0}, "gradient_tape": {"epochs": 20}},
    "cnn": {"training": {"epochs": 2, "verbose": 0}, "grid_search": {"epochs": 1}},
}


@pytest.mark.slow
@pytest.mark.parametrize("app", QUICK)
def test_the_same_run_twice_gives_identical_test_metrics(project, app):
    for _ in range(2):
        run_pipeline(project, app, {app: QUICK[app]})
    first, second = (run.data.metrics for run in mlflow.search_runs(
        experiment_names=["dl_pipelines"], output_format="list", order_by=["attributes.start_time"]))
    tests = {key for key in first if key.startswith(f"{app}.test_")}
    assert len(tests) >= 2
    assert {key: first[key] for key in tests} == {key: second[key] for key in tests}
