import hashlib
import os
from pathlib import Path

import pytest
import yaml

from dl_pipelines.core.download import MIRROR_ENV, TRUST_MIRROR_ENV, RawFiles, parse_sha256sums
from dl_pipelines.core.errors import ChecksumMismatchError, DataUnavailableError
from tests.conftest import PROJECT_ROOT, write_sha256sums

CONTENT = b"some raw bytes\n" * 1000
SHA = hashlib.sha256(CONTENT).hexdigest()
# The publisher is unreachable in tests: a closed port on loopback.
OFFLINE = "http://127.0.0.1:9/toy/data.bin"


def sources(sha256: str | None = SHA) -> dict:
    return {"toy": {"homepage": "https://example.org/toy",
                    "files": {"data.bin": {"url": OFFLINE, "sha256": sha256}}}}


def no_leftovers(root: Path) -> bool:
    return not any(root.rglob("*")) or all(p.is_dir() for p in root.rglob("*"))


def test_download_from_mirror_checks_the_published_checksum(tmp_path, http_mirror, monkeypatch):
    url, folder = http_mirror
    (folder / "toy").mkdir()
    (folder / "toy" / "data.bin").write_bytes(CONTENT)
    monkeypatch.setenv(MIRROR_ENV, url)
    paths = RawFiles(tmp_path / "raw", sources()).fetch("toy")
    assert paths["data.bin"].read_bytes() == CONTENT
    assert sorted(p.name for p in (tmp_path / "raw" / "toy").iterdir()) == ["data.bin"]
    # Readable as any file the run writes (a shared data_root), not private as a temporary file.
    assert paths["data.bin"].stat().st_mode & 0o777 == 0o666 & ~current_umask()


def current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_a_trusted_mirror_without_sha256sums_is_named(tmp_path, http_mirror, monkeypatch, caplog):
    url, folder = http_mirror
    (folder / "toy").mkdir()
    (folder / "toy" / "data.bin").write_bytes(b"other bytes")  # and no SHA256SUMS
    monkeypatch.setenv(MIRROR_ENV, url)
    monkeypatch.setenv(TRUST_MIRROR_ENV, "1")
    with pytest.raises(ChecksumMismatchError, match="give it a toy/SHA256SUMS and set DL_PIPELINES_TRUST"):
        RawFiles(tmp_path / "raw", sources()).fetch("toy")
    assert "=1, but " in caplog.text and "toy/SHA256SUMS cannot be read" in caplog.text


def test_cached_file_is_used_without_any_network(tmp_path, monkeypatch):
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    cached = tmp_path / "raw" / "toy" / "data.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(CONTENT)
    assert RawFiles(tmp_path / "raw", sources()).fetch("toy")["data.bin"] == cached


def test_checksum_mismatch_keeps_no_file(tmp_path, http_mirror, monkeypatch):
    url, folder = http_mirror
    (folder / "toy").mkdir()
    (folder / "toy" / "data.bin").write_bytes(CONTENT + b"corrupt")
    monkeypatch.setenv(MIRROR_ENV, url)
    with pytest.raises(ChecksumMismatchError, match=r"data.bin: SHA-256 [0-9a-f]+ does not match"):
        RawFiles(tmp_path / "raw", sources()).fetch("toy")
    assert no_leftovers(tmp_path / "raw")


def test_a_mirror_cannot_override_the_pinned_checksum(tmp_path, http_mirror, monkeypatch):
    url, folder = http_mirror
    (folder / "toy").mkdir()
    (folder / "toy" / "data.bin").write_bytes(b"other bytes")
    write_sha256sums(folder / "toy")  # matching the other bytes
    monkeypatch.setenv(MIRROR_ENV, url)
    expected = (rf"data.bin: SHA-256 {hashlib.sha256(b'other bytes').hexdigest()} does not match the "
                rf"expected {SHA} \(the publisher's, pinned in conf/\); the file was not kept")
    with pytest.raises(ChecksumMismatchError, match=expected):
        RawFiles(tmp_path / "raw", sources()).fetch("toy")
    assert no_leftovers(tmp_path / "raw")


def test_mirror_sha256sums_count_for_files_without_a_pinned_checksum(tmp_path, http_mirror, monkeypatch):
    url, folder = http_mirror
    (folder / "toy").mkdir()
    (folder / "toy" / "data.bin").write_bytes(b"a user's own file")
    write_sha256sums(folder / "toy")
    monkeypatch.setenv(MIRROR_ENV, url)
    path = RawFiles(tmp_path / "raw", sources(sha256=None)).fetch("toy")["data.bin"]
    assert path.read_bytes() == b"a user's own file"


def test_mirror_sha256sums_win_when_the_user_trusts_the_mirror(tmp_path, http_mirror, monkeypatch):
    url, folder = http_mirror
    (folder / "toy").mkdir()
    (folder / "toy" / "data.bin").write_bytes(b"a re-packed copy")
    write_sha256sums(folder / "toy")
    monkeypatch.setenv(MIRROR_ENV, url)
    monkeypatch.setenv(TRUST_MIRROR_ENV, "1")
    path = RawFiles(tmp_path / "raw", sources()).fetch("toy")["data.bin"]
    assert path.read_bytes() == b"a re-packed copy"


def test_mirror_sha256sums_mismatch_is_refused(tmp_path, http_mirror, monkeypatch):
    url, folder = http_mirror
    (folder / "toy").mkdir()
    (folder / "toy" / "data.bin").write_bytes(CONTENT)
    (folder / "toy" / "SHA256SUMS").write_text(f"{'0' * 64}  data.bin\n")
    monkeypatch.setenv(MIRROR_ENV, url)
    with pytest.raises(ChecksumMismatchError, match="the mirror's toy/SHA256SUMS"):
        RawFiles(tmp_path / "raw", sources(sha256=None)).fetch("toy")
    assert no_leftovers(tmp_path / "raw")


def test_file_missing_on_mirror_says_where_to_get_and_put_it(tmp_path, http_mirror, monkeypatch):
    url, _ = http_mirror
    monkeypatch.setenv(MIRROR_ENV, url)
    with pytest.raises(DataUnavailableError) as error:
        RawFiles(tmp_path / "raw", sources()).fetch("toy")
    message = str(error.value)
    assert "data.bin" in message and "https://example.org/toy" in message
    assert str(tmp_path / "raw" / "toy" / "data.bin") in message and MIRROR_ENV in message
    assert "\n" not in message
    assert no_leftovers(tmp_path / "raw")


def test_offline_without_mirror_fails_with_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    with pytest.raises(DataUnavailableError, match=r"Cannot download toy file data.bin from http://127.0.0.1:9"):
        RawFiles(tmp_path / "raw", sources(), timeout=5).fetch("toy")


def test_local_folder_mirror(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "toy").mkdir(parents=True)
    (mirror / "toy" / "data.bin").write_bytes(CONTENT)
    monkeypatch.setenv(MIRROR_ENV, str(mirror))
    assert RawFiles(tmp_path / "raw", sources()).fetch("toy")["data.bin"].read_bytes() == CONTENT


def test_unknown_dataset(tmp_path):
    with pytest.raises(DataUnavailableError, match="No download source for dataset 'other'"):
        RawFiles(tmp_path, sources()).fetch("other")


def test_parse_sha256sums_reads_both_modes():
    assert parse_sha256sums("ABC  a.gz\ndef *b.gz\n\n") == {"a.gz": "abc", "b.gz": "def"}


def test_a_url_root_keeps_the_cache_on_that_file_system(http_mirror, monkeypatch, tmp_path):
    """A shared object store as the cache: the file is verified, put there once, and read back
    through a local copy."""
    import fsspec

    url, folder = http_mirror
    (folder / "toy").mkdir()
    (folder / "toy" / "data.bin").write_bytes(CONTENT)
    monkeypatch.setenv(MIRROR_ENV, url)
    root = f"memory://{tmp_path.name}/raw"
    memory = fsspec.filesystem("memory")
    try:
        path = RawFiles(root, sources()).fetch("toy")["data.bin"]
        assert path.read_bytes() == CONTENT
        assert memory.cat_file(f"/{tmp_path.name}/raw/toy/data.bin") == CONTENT
        (folder / "toy" / "data.bin").unlink()  # the mirror is not asked again
        assert RawFiles(root, sources()).fetch("toy")["data.bin"].read_bytes() == CONTENT
    finally:
        memory.rm(f"/{tmp_path.name}", recursive=True)


def test_a_mirror_serving_a_modified_mnist_file_with_matching_sums_is_refused(tmp_path, http_mirror,
                                                                              monkeypatch):
    url, folder = http_mirror
    name = "t10k-labels-idx1-ubyte.gz"
    (folder / "mnist").mkdir()
    (folder / "mnist" / name).write_bytes(b"not the published labels")
    write_sha256sums(folder / "mnist")
    monkeypatch.setenv(MIRROR_ENV, url)
    catalog = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog.yml").read_text())
    pinned = catalog["raw_files"]["sources"]["mnist"]["files"][name]["sha256"]
    with pytest.raises(ChecksumMismatchError, match=f"does not match the expected {pinned}") as refused:
        RawFiles(tmp_path / "raw", catalog["raw_files"]["sources"]).fetch("mnist", [name])
    # The one way on for a mirror that re-packs files on purpose is named in the same line.
    way_on = "give it a mnist/SHA256SUMS and set DL_PIPELINES_TRUST_MIRROR_CHECKSUMS=1."
    assert str(refused.value).endswith(way_on)
    assert no_leftovers(tmp_path / "raw")
