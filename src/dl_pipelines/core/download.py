"""Download once, cache, mirror and checksum the raw files of public datasets.

A file of dataset ``D`` is kept at ``<root>/D/<file name>``; ``root`` is a local folder or any fsspec
URL (``s3://bucket/dl/01_raw``), so a cluster shares one cache. It is fetched from its publisher, or,
when the environment variable ``DL_PIPELINES_DATA_MIRROR`` is set, from ``<mirror>/D/<file name>``
(an http(s) or file URL, or a local folder). The bytes go to a temporary file that is renamed into
place only once its SHA-256 matches the publisher's checksum pinned in ``conf/``; a mirror's
``D/SHA256SUMS`` counts only for files without one (or, with ``DL_PIPELINES_TRUST_MIRROR_CHECKSUMS=1``,
for every file), so a mirror cannot pass other bytes off as the published ones. An interrupted or
corrupt download never leaves a file that a later run would take as valid.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from dl_pipelines.core.errors import ChecksumMismatchError, DataUnavailableError

logger = logging.getLogger(__name__)

MIRROR_ENV = "DL_PIPELINES_DATA_MIRROR"
TRUST_MIRROR_ENV = "DL_PIPELINES_TRUST_MIRROR_CHECKSUMS"  # "1": a mirror's SHA256SUMS wins
_CHUNK = 1 << 20


def mirror_url(mirror: str, dataset: str, file_name: str) -> str:
    """The URL of a file in a mirror given as a URL or as a local folder."""
    if "://" not in mirror:
        return Path(mirror, dataset, file_name).resolve().as_uri()
    return f"{mirror.rstrip('/')}/{dataset}/{file_name}"


def parse_sha256sums(text: str) -> dict[str, str]:
    """Parse ``sha256sum`` output (``<hex>  <name>`` or ``<hex> *<name>``) into {name: hex}."""
    sums = {}
    for line in text.splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) == 2:
            sums[parts[1].lstrip("*").strip()] = parts[0].lower()
    return sums


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _open(url: str, timeout: float):
    request = urllib.request.Request(url, headers={"User-Agent": "dl_pipelines"})
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http(s)/file by design)


class RawFiles:
    """The raw files of the public datasets, fetched on demand into a local cache folder.

    Args:
        root: The cache folder (``data/01_raw``), or an fsspec URL (``s3://bucket/dl/01_raw``).
        sources: ``{dataset: {"homepage": str, "files": {name: {"url": str, "sha256": str}}}}``,
            the publishers' addresses and checksums, kept in ``conf/base/catalog_raw.yml``.
        timeout: Seconds to wait for a server before giving up.
        fs_args: Options of the fsspec file system of ``root`` (credentials, endpoint).
    """

    def __init__(self, root: str | Path, sources: Mapping[str, Any], timeout: float = 60.0,
                 fs_args: Mapping[str, Any] | None = None):
        self.root = str(root)
        self.sources = dict(sources)
        self.timeout = timeout
        self._fs, self._root = fsspec.core.url_to_fs(self.root, **(fs_args or {}))
        self._is_local = isinstance(self._fs, LocalFileSystem)

    def fetch(self, dataset: str, files: list[str] | None = None) -> dict[str, Path]:
        """Make sure the raw files of ``dataset`` are in the cache and return their paths.

        Args:
            dataset: A dataset name from the sources (``mnist``).
            files: Only these file names (default: every file of the dataset).

        Returns:
            ``{file name: local path}``: the cached file itself, or with a remote ``root`` a local
            copy of it (kept in the system's temporary folder, fetched once per machine).
        """
        if dataset not in self.sources:
            known = ", ".join(sorted(self.sources))
            raise DataUnavailableError(f"No download source for dataset {dataset!r}; known: {known}.")
        source = self.sources[dataset]
        names = files or list(source["files"])
        missing = [name for name in names if not self._fs.isfile(self._target(dataset, name))]
        if missing:
            mirror = os.environ.get(MIRROR_ENV, "").strip()
            checksums = self._checksums(dataset, mirror)
            for name in missing:
                self._download(dataset, name, mirror, checksums.get(name))
        return {name: self._local_copy(dataset, name) for name in names}

    def _target(self, dataset: str, name: str) -> str:
        return f"{self._root.rstrip('/')}/{dataset}/{name}"

    def _local_copy(self, dataset: str, name: str) -> Path:
        """The cached file as a local path (readers of archives and IDX files need one)."""
        if self._is_local:
            return Path(self._target(dataset, name))
        key = hashlib.sha256(self.root.encode()).hexdigest()[:12]
        local = Path(tempfile.gettempdir(), "dl_pipelines_raw", key, dataset, name)
        remote = self._target(dataset, name)
        if not local.is_file() or local.stat().st_size != self._fs.size(remote):
            local.parent.mkdir(parents=True, exist_ok=True)
            self._fs.get_file(remote, str(local))
        return local

    def _checksums(self, dataset: str, mirror: str) -> dict[str, str]:
        published = {
            name: spec.get("sha256") for name, spec in self.sources[dataset]["files"].items()
        }
        if not mirror:
            return published
        url = mirror_url(mirror, dataset, "SHA256SUMS")
        trusted = os.environ.get(TRUST_MIRROR_ENV, "").strip() == "1"
        try:
            with _open(url, self.timeout) as response:
                sums = parse_sha256sums(response.read().decode())
        except (urllib.error.URLError, OSError):
            if trusted:  # else the checksum error below repeats the advice already followed
                logger.warning("%s=1, but %s cannot be read: the publisher's checksums count for %s",
                               TRUST_MIRROR_ENV, url, dataset)
            return published
        if trusted:
            logger.warning("%s=1: the checksums of %s come from %s, not from the publisher",
                           TRUST_MIRROR_ENV, dataset, url)
            return {**published, **sums}
        overruled = sorted(name for name, sha in sums.items() if published.get(name) not in (None, sha))
        if overruled:
            logger.warning("%s lists other checksums than the publisher's for %s; the publisher's "
                           "count (set %s=1 to trust the mirror's)", url, ", ".join(overruled),
                           TRUST_MIRROR_ENV)
        return {**sums, **{name: sha for name, sha in published.items() if sha}}

    def _download(self, dataset: str, name: str, mirror: str, sha256: str | None) -> None:
        target = self._target(dataset, name)
        url = mirror_url(mirror, dataset, name) if mirror else self.sources[dataset]["files"][name]["url"]
        self._fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        logger.info("Downloading %s from %s", target, url)
        # Next to the target on a local disk (the rename is then atomic), else in a temporary folder.
        folder = target.rsplit("/", 1)[0] if self._is_local else None
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
        try:
            with os.fdopen(handle, "wb") as stream:
                actual = self._copy(url, stream, name)
            if sha256 and actual != sha256.lower():
                pinned = self.sources[dataset]["files"][name].get("sha256") == sha256
                origin = ("the publisher's, pinned in conf/" if pinned
                          else f"the mirror's {dataset}/SHA256SUMS")
                repacked = ""
                if mirror and pinned:  # the mirror's SHA256SUMS was not trusted, or not there
                    repacked = (f", or, for a mirror that re-packs it on purpose, give it a "
                                f"{dataset}/SHA256SUMS and set {TRUST_MIRROR_ENV}=1")
                raise ChecksumMismatchError(
                    f"{url}: SHA-256 {actual} does not match the expected {sha256} ({origin}); the "
                    f"file was not kept. Fetch {name} again, from the publisher or an intact "
                    f"mirror{repacked}."
                )
            if not sha256:
                logger.warning("%s has no published checksum; kept unverified (SHA-256 %s)", name, actual)
            if self._is_local:
                # mkstemp makes the file private (0600); a downloaded dataset is read as any file
                # the run writes (a shared data_root, a container running as another user).
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(temporary, 0o666 & ~umask)
                os.replace(temporary, target)
            else:  # one PUT: an object store never shows a half-written object
                self._fs.put_file(temporary, target)
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", None) or error
            homepage = self.sources[dataset].get("homepage", url)
            raise DataUnavailableError(
                f"Cannot download {dataset} file {name} from {url} ({reason}). Get it from "
                f"{homepage} and put it at {target}, or set {MIRROR_ENV} to a mirror holding "
                f"{dataset}/{name}."
            ) from None
        finally:
            Path(temporary).unlink(missing_ok=True)

    def _copy(self, url: str, stream, name: str) -> str:
        """Stream ``url`` into ``stream``, logging progress; return the SHA-256 of the bytes."""
        digest = hashlib.sha256()
        with _open(url, self.timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done, last_report = 0, time.monotonic()
            while chunk := response.read(_CHUNK):
                stream.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if time.monotonic() - last_report > 5:
                    share = f" ({done / total:.0%})" if total else ""
                    logger.info("  %s: %.1f MB%s", name, done / 1e6, share)
                    last_report = time.monotonic()
        return digest.hexdigest()

