import gzip
import io
import pickle
import tarfile

import numpy as np
import pytest

from dl_pipelines.core.download import MIRROR_ENV, RawFiles
from dl_pipelines.core.images import load_image_dataset, read_cifar10, read_idx


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


def test_read_idx_round_trip(tmp_path):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4).astype(np.uint8)
    write_idx(tmp_path / "x.gz", images)
    np.testing.assert_array_equal(read_idx(tmp_path / "x.gz"), images)


def test_read_idx_rejects_bad_magic_and_truncation(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="bad magic"):
        read_idx(tmp_path / "bad")
    with gzip.open(tmp_path / "short.gz", "wb") as stream:
        stream.write(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + b"\x00" * 3)
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "short.gz")


def test_read_cifar10_layout(tmp_path):
    rng = np.random.default_rng(0)
    archive = tmp_path / "cifar-10-python.tar.gz"
    batches = {}
    with tarfile.open(archive, "w:gz") as tar:
        for name in ["data_batch_1", "data_batch_2", "test_batch", "batches.meta"]:
            batch = {b"data": rng.integers(0, 256, (3, 3072), dtype=np.uint8),
                     b"labels": [1, 2, 3]}
            batches[name] = batch
            payload = pickle.dumps(batch)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    arrays = read_cifar10(archive)
    assert arrays["x_train"].shape == (6, 32, 32, 3) and arrays["x_test"].shape == (3, 32, 32, 3)
    # channel-first rows become channel-last pixels: red of pixel (0, 1) is byte 1
    assert arrays["x_train"][0, 0, 1, 0] == batches["data_batch_1"][b"data"][0, 1]
    assert arrays["x_train"][0, 0, 0, 2] == batches["data_batch_1"][b"data"][0, 2048]


def test_digits_are_uint8_images_without_a_test_split(tmp_path):
    data = load_image_dataset("digits", RawFiles(tmp_path, {}))
    assert data["x_train"].shape == (1797, 8, 8, 1) and data["x_train"].dtype == np.uint8
    assert data["x_train"].max() == 255 and len(data["x_test"]) == 0
    assert list(data["class_names"]) == [str(d) for d in range(10)]


def test_real_mnist_through_a_local_mirror(tmp_path, mnist_mirror, monkeypatch):
    import yaml

    from dl_pipelines.core.download import RawFiles as Store
    from tests.conftest import PROJECT_ROOT

    sources = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog.yml").read_text())
    monkeypatch.setenv(MIRROR_ENV, mnist_mirror)
    data = load_image_dataset("mnist", Store(tmp_path / "raw", sources["raw_files"]["sources"]))
    assert data["x_train"].shape == (60000, 28, 28, 1) and data["x_test"].shape == (10000, 28, 28, 1)
    assert np.bincount(data["y_test"]).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
