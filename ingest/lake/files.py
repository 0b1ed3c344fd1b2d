"""Lake storage: a local folder or ``s3://bucket/prefix``, and where partitions live in it.

Layout::

    <lake>/<table>/batch_date=<D>/part-00000-<sha12>.csv.gz   data files (or .parquet)
    <lake>/<table>/batch_date=<D>/_manifest.json              written last
    <lake>/events/batch_date=<D>/quarantine-<sha12>.jsonl.gz  rejected lines of the batch

Readers trust only partitions whose manifest exists and only the files it lists, so a
partition appears all at once when its manifest is written, and a rerun that replaces it
never exposes a half-written state. A local write goes through ``.<name>.tmp-<pid>`` and a
rename: a crash can leave such a file behind, which readers ignore by name and a run removes
(`remove_temp`) while it holds the partition's batch lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

MANIFEST = "_manifest.json"  # written last: its presence publishes the partition
# Beside the data files of an s3:// partition: the manifest a Redshift COPY reads, listing
# exactly the partition's data files as mandatory entries (a missing one fails the COPY).
COPY_MANIFEST = "_redshift_copy.manifest"
TEMP_MARK = ".tmp-"  # a local write's temp file: ``.<name>.tmp-<pid>``


# (path, inode, size, mtime_ns, ctime_ns) -> sha256 of local lake files, while `digest_cache` is open
_DIGESTS: dict[tuple, str] | None = None


@contextlib.contextmanager
def digest_cache() -> Iterator[None]:
    """Within this block, `LocalLake.digest` hashes a file once while it stays the same file:
    same inode, size, mtime and ctime (any write or rename changes one, and ctime cannot be
    set back). `pulse run` opens it for its graph, whose completeness checks verify the same
    partitions several times; its verify step before the graph always reads every byte."""
    global _DIGESTS
    outer, _DIGESTS = _DIGESTS, ({} if _DIGESTS is None else _DIGESTS)
    try:
        yield
    finally:
        _DIGESTS = outer


def is_temp(name: str) -> bool:
    """A temp file of an interrupted local write (never data, never listed)."""
    return name.startswith(".") and TEMP_MARK in name


def sha256_stream(handle: BinaryIO) -> tuple[int, str]:
    """(bytes, sha256 hex) of everything readable from handle."""
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


class Lake(Protocol):
    uri: str

    def write_file(self, rel: str, local_path: str) -> None: ...
    def write_bytes(self, rel: str, data: bytes) -> None: ...
    def read_bytes(self, rel: str) -> bytes | None: ...
    @contextlib.contextmanager
    def open_read(self, rel: str) -> Iterator[BinaryIO]: ...
    def list(self, prefix: str) -> list[str]: ...
    def delete(self, rel: str) -> None: ...
    def digest(self, rel: str) -> tuple[int, str] | None: ...
    def remove_temp(self, prefix: str) -> list[str]: ...


class LocalLake:
    """A folder on the local disk; writes go through a temp file and an atomic rename."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.uri = str(self.root)

    def _path(self, rel: str) -> Path:
        return self.root / rel

    def write_file(self, rel: str, local_path: str) -> None:
        target = self._path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        shutil.copyfile(local_path, tmp)
        os.replace(tmp, target)

    def write_bytes(self, rel: str, data: bytes) -> None:
        target = self._path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)

    def read_bytes(self, rel: str) -> bytes | None:
        try:
            return self._path(rel).read_bytes()
        except FileNotFoundError:
            return None

    @contextlib.contextmanager
    def open_read(self, rel: str) -> Iterator[BinaryIO]:
        with open(self._path(rel), "rb") as handle:
            yield handle

    def local_path(self, rel: str) -> str:
        return str(self._path(rel))

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        if not base.exists():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*")
                      if p.is_file() and not p.name.startswith("."))

    def delete(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(rel).unlink()

    def digest(self, rel: str) -> tuple[int, str] | None:
        """(bytes, sha256) of a stored file, or None when it does not exist."""
        cache = _DIGESTS
        try:
            with open(self._path(rel), "rb") as handle:
                if cache is None:
                    return sha256_stream(handle)
                st = os.fstat(handle.fileno())
                key = (str(self._path(rel)), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                if key not in cache:
                    size, cache[key] = sha256_stream(handle)
                    if size != st.st_size:  # written while read: do not keep it
                        return size, cache.pop(key)
                return st.st_size, cache[key]
        except (FileNotFoundError, IsADirectoryError):
            return None

    def remove_temp(self, prefix: str) -> list[str]:
        """Delete the temp files interrupted writes left under prefix; return what went."""
        base = self._path(prefix)
        if not base.exists():
            return []
        gone = sorted(str(p.relative_to(self.root)) for p in base.rglob(".*")
                      if p.is_file() and is_temp(p.name))
        for rel in gone:
            self.delete(rel)
        return gone


def s3_endpoint_url() -> str | None:
    """PULSE_S3_ENDPOINT_URL (another S3 endpoint for boto3; unset or empty: AWS), refused in
    one line unless it is an http(s) URL with a host (the value is shown redacted)."""
    text = os.environ.get("PULSE_S3_ENDPOINT_URL") or None
    if text is None:
        return None
    try:
        parts = urlsplit(text)
        ok = (parts.scheme in ("http", "https") and bool(parts.hostname)
              and not re.search(r"[\s\x00-\x1f\x7f]", text) and (parts.port or 1) > 0)
    except ValueError:  # a port that is not a number, a bad IPv6 literal
        ok = False
    if not ok:
        from warehouse.redact import redact

        raise ValueError(f"PULSE_S3_ENDPOINT_URL={redact(text)!r} is not an http(s) URL with "
                         "a host (e.g. http://127.0.0.1:9000); unset it to use AWS S3")
    return text


class S3Lake:
    """``s3://bucket/prefix`` through boto3 (PUT is atomic per object).

    ``PULSE_S3_ENDPOINT_URL`` points boto3 at another endpoint (a local S3 in tests).
    """

    def __init__(self, uri: str, client=None) -> None:
        import boto3  # only needed for S3 lakes

        bucket_prefix = uri[len("s3://"):]
        self.bucket, _, prefix = bucket_prefix.partition("/")
        self.prefix = prefix.strip("/")
        self.uri = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self.client = client or boto3.client(
            "s3", endpoint_url=s3_endpoint_url())

    def key(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def write_file(self, rel: str, local_path: str) -> None:
        self.client.upload_file(local_path, self.bucket, self.key(rel))

    def write_bytes(self, rel: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key(rel), Body=data)

    def read_bytes(self, rel: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(rel))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    @contextlib.contextmanager
    def open_read(self, rel: str) -> Iterator[BinaryIO]:
        with tempfile.TemporaryFile() as spool:
            self.client.download_fileobj(self.bucket, self.key(rel), spool)
            spool.seek(0)
            yield spool

    def list(self, prefix: str) -> list[str]:
        out: list[str] = []
        strip = len(self.prefix) + 1 if self.prefix else 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.key(prefix)):
            out.extend(obj["Key"][strip:] for obj in page.get("Contents", [])
                       if not is_temp(posixpath.basename(obj["Key"])))
        return sorted(out)

    def delete(self, rel: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(rel))

    def digest(self, rel: str) -> tuple[int, str] | None:
        """(bytes, sha256) of an object, streamed; None when there is no such key."""
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(rel))["Body"]
        except self.client.exceptions.NoSuchKey:
            return None
        return sha256_stream(body)

    def remove_temp(self, prefix: str) -> list[str]:
        """S3 PUTs are atomic: there are no temp objects to remove."""
        return []


def open_lake(uri: str | Path) -> LocalLake | S3Lake:
    text = str(uri)
    return S3Lake(text) if text.startswith("s3://") else LocalLake(text)


def partition_dir(table: str, batch: str) -> str:
    return f"{table}/batch_date={batch}"


def copy_manifest_json(lake_uri: str, prefix: str, names: list[str]) -> bytes:
    """The Redshift COPY manifest of a partition's data files (``mandatory`` entries)."""
    import orjson

    entries = [{"url": f"{lake_uri}/{prefix}/{n}", "mandatory": True} for n in names]
    return orjson.dumps({"entries": entries})
