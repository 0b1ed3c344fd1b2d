"""Turn the ingest job's sorted output into lake partitions with manifests.

The job's output arrives in key order (kind, table, batch, event id), so each partition's
rows are contiguous and only one data file is open at a time: memory does not grow with
input size. Every requested batch gets a manifest, even one whose files were all empty.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from ingest.contract import CONTRACT_VERSION
from ingest.lake.files import COPY_MANIFEST, MANIFEST, Lake, copy_manifest_json
from ingest.lake.manifest import InputFile, Manifest, SkippedInput
from ingest.lake.writers import GzipLines, ParquetRows, Staged, StagedFile
from ingest.tables import all_tables

MAX_ROWS_PER_FILE = 500_000
FORMATS = ("csv.gz", "parquet")


class BatchFailed(RuntimeError):
    """A batch's quarantine share exceeded the threshold; its manifest says status=failed."""


def publish_partition(lake: Lake, manifest: Manifest, files: dict[str, str]) -> None:
    """Upload data files, then (on S3) the Redshift COPY manifest, then the manifest, then
    remove files the new manifest dropped."""
    prefix = manifest.partition
    for name, local_path in files.items():
        lake.write_file(f"{prefix}/{name}", local_path)
    keep = {f"{prefix}/{name}" for name in files} | {f"{prefix}/{MANIFEST}"}
    if lake.uri.startswith("s3://"):  # Redshift COPY reads S3 only
        names = [f.name for f in manifest.files]
        lake.write_bytes(f"{prefix}/{COPY_MANIFEST}", copy_manifest_json(lake.uri, prefix, names))
        keep.add(f"{prefix}/{COPY_MANIFEST}")
    lake.write_bytes(f"{prefix}/{MANIFEST}", manifest.to_json())
    for rel in lake.list(prefix + "/"):
        if rel not in keep:
            lake.delete(rel)


@dataclass
class _Batch:
    files: dict[str, list[Staged]] = field(default_factory=dict)  # table -> data files
    rows: Counter = field(default_factory=Counter)  # table -> rows
    duplicates: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    inputs: list[InputFile] = field(default_factory=list)
    quarantine: Staged | None = None
    derive_errors: dict[str, list[dict]] = field(default_factory=dict)  # table -> records


class Publisher:
    """Consumes job output lines (``kind \\t table \\t batch \\t json``) and publishes partitions."""

    def __init__(self, lake: Lake, batches: Iterable[str], max_quarantine_share: float,
                 job_info: dict | None = None, fmt: str = "csv.gz",
                 skipped: Mapping[str, Iterable[SkippedInput]] | None = None) -> None:
        """`skipped`: per batch, the raw folder's entries that were not read (for the manifest)."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown lake format {fmt!r}; choose one of {', '.join(FORMATS)}")
        self.fmt = fmt
        self.lake = lake
        self.tables = all_tables()
        self.batches = {b: _Batch() for b in sorted(batches)}
        self.max_share = max_quarantine_share
        self.skipped = {b: tuple(entries) for b, entries in (skipped or {}).items()}
        self.job_info = job_info or {}
        self._staging = tempfile.TemporaryDirectory(prefix="pulse-publish-")
        self._open: tuple[str, str, str, int] | None = None  # kind, table, batch, file_no
        self._writer: StagedFile | None = None
        self._done: set[tuple[str, str, str]] = set()

    def _switch(self, kind: str, table: str, batch: str) -> StagedFile:
        state = self._open
        full = self._writer is not None and self._writer.rows >= MAX_ROWS_PER_FILE
        if state and state[:3] == (kind, table, batch) and not full:
            return self._writer
        self._close_writer()
        if state and state[:3] != (kind, table, batch):
            self._done.add(state[:3])
        if (kind, table, batch) in self._done:
            raise RuntimeError("job output is not sorted by key; cannot publish it in one pass")
        file_no = state[3] + 1 if state and state[:3] == (kind, table, batch) else 0
        folder = Path(self._staging.name) / kind / table / batch
        folder.mkdir(parents=True, exist_ok=True)
        if kind != "E":
            self._writer = GzipLines(folder, "quarantine", ".jsonl.gz")
        elif self.fmt == "parquet":
            self._writer = ParquetRows(folder, f"part-{file_no:05d}", self.tables[table])
        else:
            header = ",".join(self.tables[table].column_names) + "\n"
            self._writer = GzipLines(folder, f"part-{file_no:05d}", ".csv.gz", header)
        self._open = (kind, table, batch, file_no)
        return self._writer

    def _close_writer(self) -> None:
        if self._writer is None:
            return
        kind, table, batch, _ = self._open
        staged = self._writer.close()
        target = self.batches[batch]
        if kind == "E":
            target.files.setdefault(table, []).append(staged)
        else:
            target.quarantine = staged
        self._writer = None

    def _batch(self, batch: str) -> _Batch:
        try:
            return self.batches[batch]
        except KeyError:
            raise RuntimeError(f"job produced output for unrequested batch {batch}") from None

    def consume(self, lines: Iterable[bytes | str]) -> None:
        """Publish the mrjob engine's output lines (``kind \t table \t batch \t json``)."""
        for raw in lines:
            line = raw.decode() if isinstance(raw, bytes) else raw
            kind, table, batch, payload = line.rstrip("\n").split("\t", 3)
            if kind == "E":
                self.add_row(table, batch, orjson.loads(payload))
            elif kind == "D":
                self.add_duplicates(table, batch, int(payload))
            elif kind == "Q":
                self.add_quarantine(batch, payload)
            elif kind == "F":
                self.add_input(batch, orjson.loads(payload))
            elif kind == "X":
                self.add_derive_error(batch, orjson.loads(payload))
            else:
                raise RuntimeError(f"unexpected job output kind {kind!r}")
        self.finish()

    # The calls every engine makes, in key order: rows of one (table, batch) together and
    # sorted by event id, then per batch its quarantine records by file and line.
    def add_row(self, table: str, batch: str, row: list | tuple | str) -> None:
        """One row: its values, or in a csv.gz lake its CSV line already encoded field by
        field as writers.csv_field does (an engine that formats rows in bulk)."""
        target = self._batch(batch)
        self._switch("E", table, batch).add(row)
        target.rows[table] += 1

    def add_rows(self, table: str, batch: str, rows: list) -> None:
        """Many rows of one partition at once (as add_row, files split at the same rows)."""
        target = self._batch(batch)
        start = 0
        while start < len(rows):
            writer = self._switch("E", table, batch)  # a file with room (a new one when full)
            part = rows[start:start + MAX_ROWS_PER_FILE - writer.rows]
            writer.add_many(part)
            target.rows[table] += len(part)
            start += len(part)

    def add_arrow(self, table: str, batch: str, data) -> None:
        """Many rows of one partition as an Arrow table or record batch (as add_rows, files
        split at the same rows): the table's columns in a parquet lake, in a csv.gz lake one
        column of CSV lines each ending in a newline (see the writers' add_arrow)."""
        target = self._batch(batch)
        start = 0
        while start < data.num_rows:
            writer = self._switch("E", table, batch)
            part = data.slice(start, MAX_ROWS_PER_FILE - writer.rows)
            writer.add_arrow(part)
            target.rows[table] += part.num_rows
            start += part.num_rows

    def add_duplicates(self, table: str, batch: str, count: int) -> None:
        self._batch(batch).duplicates[table] += count

    def add_quarantine(self, batch: str, record: str, reason: str | None = None) -> None:
        """One quarantine record (JSON text); `reason` saves re-parsing it when known."""
        target = self._batch(batch)
        self._switch("Q", "-", batch).add(record)
        target.reasons[reason or orjson.loads(record)["reason"]] += 1

    def add_input(self, batch: str, stats: dict) -> None:
        self._batch(batch).inputs.append(InputFile(**stats))

    def add_derive_error(self, batch: str, record: dict) -> None:
        self._batch(batch).derive_errors.setdefault(record["table"], []).append(record)

    def finish(self) -> None:
        self._close_writer()

    def manifest(self, table: str, batch: str) -> Manifest:
        b = self.batches[batch]
        return Manifest.build(
            table, batch, contract_version=CONTRACT_VERSION, fmt=self.fmt,
            columns=self.tables[table].column_names, files=[s.file for s in b.files.get(table, [])],
            rows=b.rows[table], inputs=b.inputs, duplicates=b.duplicates[table],
            max_quarantine_share=self.max_share, job=self.job_info, quarantined=b.reasons,
            quarantine_file=b.quarantine.file.name if b.quarantine else None,
            derive_errors=b.derive_errors.get(table, []), skipped=self.skipped.get(batch, ()))

    def publish(self) -> dict[str, dict[str, Manifest]]:
        """Publish every requested batch of every table; return the manifests by batch, then table."""
        out = {}
        for batch, b in self.batches.items():
            manifests = {}
            for table in self.tables:  # events first: it holds the batch's input record
                manifest = self.manifest(table, batch)
                if not manifest.reconciled:
                    raise RuntimeError(f"{table} batch {batch} does not reconcile: {manifest}")
                files = {s.file.name: s.local_path for s in b.files.get(table, [])}
                if manifest.is_events and b.quarantine:
                    files[b.quarantine.file.name] = b.quarantine.local_path
                publish_partition(self.lake, manifest, files)
                manifests[table] = manifest
            out[batch] = manifests
        self._staging.cleanup()
        return out
