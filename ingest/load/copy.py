"""The lake side of a bulk copy: one partition's data files as a client's `copy_into` needs them.

How the files get into the warehouse (read_csv, COPY FROM STDIN, COPY from a manifest) is
the client's business (warehouse/clients/); this only says where the files are, after
checking each one's size and sha256 against the manifest entry (LakeDamaged names the file
otherwise): nothing unverified reaches a warehouse.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator

from ingest.lake import DataFile, Lake, LocalLake, partition_dir
from ingest.lake.files import COPY_MANIFEST, copy_manifest_json
from ingest.lake.verify import LakeDamaged, check_local_file, file_problem

__all__ = ["COPY_MANIFEST", "LakePartitionFiles"]


def _not_found(exc: Exception) -> bool:
    """A missing file or S3 object (botocore's ClientError carries the HTTP code)."""
    if isinstance(exc, FileNotFoundError):
        return True
    response = getattr(exc, "response", None)
    return isinstance(response, dict) and \
        response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


class LakePartitionFiles:
    """The data files a partition's manifest lists (a `warehouse.clients.PartitionFiles`)."""

    def __init__(self, lake: Lake, table: str, batch: str, files: list[DataFile],
                 fmt: str = "csv.gz") -> None:
        self.lake, self.files, self.fmt = lake, list(files), fmt
        self.names = [f.name for f in self.files]
        self.prefix = partition_dir(table, batch)

    @contextlib.contextmanager
    def local_paths(self) -> Iterator[list[str]]:
        """Local paths of the verified data files (S3 objects are spooled to temp files
        first, and the spooled copy is what is verified and loaded)."""
        if isinstance(self.lake, LocalLake):
            paths = [self.lake.local_path(f"{self.prefix}/{n}") for n in self.names]
            for path, entry in zip(paths, self.files, strict=True):
                check_local_file(path, f"{self.prefix}/{entry.name}", entry)
            yield paths
            return
        with tempfile.TemporaryDirectory(prefix="pulse-load-") as folder:
            paths = []
            for entry in self.files:
                path, rel = f"{folder}/{entry.name}", f"{self.prefix}/{entry.name}"
                try:
                    with self.lake.open_read(rel) as src, open(path, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                except Exception as exc:
                    if not _not_found(exc):
                        raise  # the check below reports a missing object by name
                check_local_file(path, rel, entry)
                paths.append(path)
            yield paths

    def copy_manifest_url(self) -> str:
        """The s3:// URL of the partition's Redshift COPY manifest (``mandatory`` entries, so a
        missing file fails the COPY instead of loading less). The publisher writes it beside
        the partition; it is rewritten here only when absent or not listing exactly these files
        (a partition published before it existed)."""
        if not self.lake.uri.startswith("s3://"):
            raise ValueError("Redshift loads need an s3:// lake (COPY reads from S3)")
        for entry in self.files:  # Redshift reads S3 itself: check the objects it will read
            rel = f"{self.prefix}/{entry.name}"
            problem = file_problem(rel, entry, self.lake.digest(rel))
            if problem:
                raise LakeDamaged(f"lake file does not match its manifest: {problem}")
        rel = f"{self.prefix}/{COPY_MANIFEST}"
        wanted = copy_manifest_json(self.lake.uri, self.prefix, self.names)
        if self.lake.read_bytes(rel) != wanted:
            self.lake.write_bytes(rel, wanted)
        return f"{self.lake.uri}/{rel}"
