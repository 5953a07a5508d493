"""The project's command line: the packaged entry point, and the runners and selections it refuses
before any work."""

import subprocess
import sys

import pytest
from click.testing import CliRunner
from kedro.framework.startup import bootstrap_project

from dl_pipelines import cli


def test_the_packaged_entry_point_runs_an_app_and_reports_a_mistake_in_one_line(project):
    """``python -m dl_pipelines`` (and the ``dl-pipelines`` script, Kedro's packaged-project entry
    point) is the project's own ``run``."""
    import mlflow

    entry = [sys.executable, "-m", "dl_pipelines", "--pipelines=hopfield"]
    subprocess.run(entry, cwd=project, capture_output=True, text=True, timeout=300, check=True)
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"])
    assert list(runs["tags.mlflow.runName"]) == ["hopfield"] and list(runs["status"]) == ["FINISHED"]

    mistake = subprocess.run([*entry, "--params", "hopfield.seed=-1"], cwd=project, capture_output=True,
                             text=True, timeout=300)
    assert mistake.returncode == 1
    assert mistake.stderr.strip().splitlines()[-1].startswith("Error: Parameter hopfield.seed=-1 is invalid")


@pytest.mark.parametrize("options", [["--runner=ThreadRunner"], ["-r", "kedro.runner.ParallelRunner"],
                                     ["--async"], ["--runner-params=is_async=True"]])
def test_runners_other_than_the_sequential_one_stop_before_any_work_in_one_line(options):
    # The check comes before the session: no project is needed to reach it.
    result = CliRunner().invoke(cli.run, ["--pipelines=regression", *options])
    assert result.exit_code == 1
    assert result.output.startswith("Error: --") and "is not supported" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(("options", "message"), [
    (["--pipelines=cnn_trainin"], "There is no pipeline named 'cnn_trainin'; did you mean 'cnn_training'?"),
    (["--pipelines=hopfield,nosuch"], "There is no pipeline named 'nosuch'. `kedro registry list`"),
    (["--tags=nosuchtag"], "--tags=nosuchtag: Pipeline contains no nodes after applying all provided"),
    (["--pipelines=hopfield", "--nodes=hopfield.training.nosuch"],
     "--nodes=hopfield.training.nosuch: Pipeline does not contain nodes named ['hopfield.training.nosuch']"),
    (["--pipelines=hopfield", "--namespaces=cnn"], "namespaces: ['cnn'] (pipeline hopfield)"),
])
def test_a_selection_of_no_nodes_stops_before_any_work_in_one_line(project, options, message):
    bootstrap_project(project)
    result = CliRunner().invoke(cli.run, options)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert message in result.output
    assert not (project / "data" / "01_raw").exists()  # stopped before any node ran


def test_a_mistake_kedro_wraps_in_its_own_error_is_still_one_line(tmp_path):
    from kedro.io import DatasetError

    from dl_pipelines.core.errors import ConfigurationError

    def wrapped(cause):
        try:
            try:
                raise cause
            except Exception as error:
                raise DatasetError("Failed while loading data from dataset regression.model") from error
        except DatasetError as error:
            return error

    assert cli._one_line(wrapped(ConfigurationError("model_version=3: its run has no model"))) == (
        "model_version=3: its run has no model")
    line = cli._one_line(wrapped(ImportError("Install s3fs to access S3")))
    assert line.startswith('Install s3fs to access S3 (the file system of data_root or csv_path; for s3://')
    assert cli._one_line(wrapped(KeyError("x"))) is None  # a bug: its traceback stays

    # The packaged project run where there is no conf/ (docs/deployment.md).
    result = subprocess.run([sys.executable, "-m", "dl_pipelines", "--pipelines=hopfield"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].endswith(
        "run from the project folder, or give the packaged configuration, "
        "--conf-source=conf-dl_pipelines.tar.gz (docs/deployment.md).")
