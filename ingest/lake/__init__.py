"""The lake: storage (files), the typed partition manifest, and the publisher that writes both."""

from ingest.lake.files import MANIFEST, Lake, LocalLake, S3Lake, open_lake, partition_dir
from ingest.lake.manifest import (
    MANIFEST_VERSION,
    DataFile,
    InputFile,
    InputSummary,
    Manifest,
    ManifestError,
    SkippedInput,
    files_checksum,
    read_manifest,
)
from ingest.lake.publisher import FORMATS, BatchFailed, Publisher, publish_partition
from ingest.lake.writers import csv_field

__all__ = [
    "FORMATS", "MANIFEST", "MANIFEST_VERSION", "BatchFailed", "DataFile", "InputFile",
    "InputSummary", "Lake", "LocalLake", "Manifest", "ManifestError", "Publisher", "S3Lake",
    "SkippedInput", "csv_field", "files_checksum", "open_lake", "partition_dir", "publish_partition",
    "read_manifest",
]
