"""The lake side of a bulk copy: one partition's data files as a client's `copy_into` needs them.

How the files get into the warehouse (read_csv, COPY FROM STDIN, COPY from a manifest) is
the client's business (warehouse/clients/); this only says where the files are.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator

import orjson

from ingest.lake import Lake, LocalLake, partition_dir

COPY_MANIFEST = "_redshift_copy.manifest"


class LakePartitionFiles:
    """The data files a partition's manifest lists (a `warehouse.clients.PartitionFiles`)."""

    def __init__(self, lake: Lake, table: str, batch: str, names: list[str],
                 fmt: str = "csv.gz") -> None:
        self.lake, self.names, self.fmt = lake, list(names), fmt
        self.prefix = partition_dir(table, batch)

    @contextlib.contextmanager
    def local_paths(self) -> Iterator[list[str]]:
        """Local paths of the data files (S3 objects are spooled to temp files first)."""
        if isinstance(self.lake, LocalLake):
            yield [self.lake.local_path(f"{self.prefix}/{n}") for n in self.names]
            return
        with tempfile.TemporaryDirectory(prefix="pulse-load-") as folder:
            paths = []
            for name in self.names:
                path = f"{folder}/{name}"
                with self.lake.open_read(f"{self.prefix}/{name}") as src, open(path, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                paths.append(path)
            yield paths

    def copy_manifest_url(self) -> str:
        """Write a Redshift COPY manifest beside the partition and return its s3:// URL
        (``mandatory`` entries, so a missing file fails the COPY instead of loading less)."""
        if not self.lake.uri.startswith("s3://"):
            raise ValueError("Redshift loads need an s3:// lake (COPY reads from S3)")
        entries = [{"url": f"{self.lake.uri}/{self.prefix}/{n}", "mandatory": True} for n in self.names]
        rel = f"{self.prefix}/{COPY_MANIFEST}"
        self.lake.write_bytes(rel, orjson.dumps({"entries": entries}))
        return f"{self.lake.uri}/{rel}"
