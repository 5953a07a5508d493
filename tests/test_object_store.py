"""Two apps end to end with data_root in an object store: an S3-compatible server (moto) on
127.0.0.1, started by the test; every intermediate, model and figure lands in the bucket."""

import mlflow
import pytest

from tests.helpers import run_pipeline

moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")
fsspec = pytest.importorskip("fsspec")
s3fs = pytest.importorskip("s3fs")

BUCKET = "dl-data"


@pytest.fixture
def bucket(monkeypatch):
    """An empty bucket on a local S3-compatible server, found through the standard AWS variables."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://{host}:{port}"}.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    s3fs.S3FileSystem.clear_instance_cache()  # fsspec reuses file systems: not one of an earlier server
    yield fsspec.filesystem("s3")
    s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


FLATS = "area,rooms,price\n" + "".join(f"{50 + i},{1 + i % 4},{100 + 3 * i}\n" for i in range(40))


@pytest.mark.slow
@pytest.mark.parametrize(("app", "params", "files"), [
    ("cnn", {}, ["02_intermediate/cnn/images.npz", "05_model_input/cnn/model_input.npz",
                 "06_models/cnn/model.keras", "06_models/cnn/history.json",
                 "07_model_output/cnn/test_predictions.npz", "08_reporting/cnn/confusion_matrix.png",
                 "08_reporting/cnn/classification_report.csv"]),
    # The user's own CSV read from the bucket too, through the user_csv entry.
    ("regression", {"csv_path": f"s3://{BUCKET}/flats.csv",
                    "regression": {"dataset": "csv", "data": {"target": "price"}}},
     ["02_intermediate/regression/table.parquet", "05_model_input/regression/model_input.npz",
      "06_models/regression/model.keras", "06_models/regression/transform.pkl",
      "08_reporting/regression/residuals.png"]),
])
def test_a_whole_app_runs_with_its_data_in_a_bucket(project, bucket, app, params, files):
    bucket.pipe(f"{BUCKET}/flats.csv", FLATS.encode())
    settings = {**params.get(app, {}), "training": {"epochs": 2}}
    run_pipeline(project, app, {**params, "data_root": f"s3://{BUCKET}/dl", app: settings})
    stored = {path.removeprefix(f"{BUCKET}/dl/") for path in bucket.find(f"{BUCKET}/dl")}
    assert set(files) <= stored, set(files) - stored
    assert not any((project / "data").rglob("*.npz"))  # nothing of the data went to the local folder
    (run,) = mlflow.search_runs(experiment_names=["dl_pipelines"], output_format="list")
    assert run.info.status == "FINISHED" and run.data.tags["app"] == app
    if "csv_path" in params:
        assert run.data.tags["data_file"] == params["csv_path"]
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, app)}
    assert f"{app}/learning_curves.png" in artifacts  # figures logged from the bucket's copy


def test_a_store_that_refuses_the_credentials_is_not_a_missing_file(bucket, monkeypatch):
    from dl_pipelines.core.errors import ConfigurationError
    from dl_pipelines.core.user_files import require_user_file

    bucket.pipe(f"{BUCKET}/flats.csv", FLATS.encode())
    assert require_user_file(fsspec.open(f"s3://{BUCKET}/flats.csv"), "regression")
    with pytest.raises(ConfigurationError, match=r"flats\.cvs does not exist"):
        require_user_file(fsspec.open(f"s3://{BUCKET}/flats.cvs"), "regression")
    s3fs.S3FileSystem.clear_instance_cache()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(ConfigurationError, match=r"^Cannot read s3://dl-data/flats\.csv: .*endpoint"):
        require_user_file(fsspec.open(f"s3://{BUCKET}/flats.csv", retries=0), "regression")
