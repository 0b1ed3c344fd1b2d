"""Turn the ingest job's sorted output into lake partitions with manifests.

The job's output arrives in key order (kind, table, batch, event id), so each partition's
rows are contiguous and only one data file is open at a time: memory does not grow with
input size. Every requested batch gets a manifest, even one whose files were all empty.
"""

from __future__ import annotations

import gzip
import hashlib
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from ingest.contract import CONTRACT_VERSION
from ingest.lake import Lake, publish_partition
from ingest.schema import TableSchema
from ingest.tables import all_tables

MAX_ROWS_PER_FILE = 500_000


class BatchFailed(RuntimeError):
    """A batch's quarantine share exceeded the threshold; its manifest says status=failed."""


def csv_field(value) -> str:
    """One CSV field readable by DuckDB, PostgreSQL COPY and Redshift COPY alike.

    NULL is an empty unquoted field; every string is quoted, so an empty string stays ''.
    """
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return str(value)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _StagedFile:
    """A data file in the staging folder, renamed to ``<stem>-<sha12><suffix>`` when closed
    (content-addressed names: a rerun with the same content writes the same name)."""

    suffix = ""

    def __init__(self, folder: Path, stem: str) -> None:
        self.tmp = folder / f"{stem}.tmp"
        self.rows = 0

    def _finish(self) -> None: ...

    def close(self) -> dict:
        self._finish()
        sha = _sha256(str(self.tmp))
        final = self.tmp.with_name(f"{self.tmp.stem}-{sha[:12]}{self.suffix}")
        self.tmp.rename(final)
        return {"name": final.name, "rows": self.rows, "bytes": final.stat().st_size,
                "sha256": sha, "local_path": str(final)}


class _GzipLines(_StagedFile):
    """Deterministic gzip (mtime 0) text lines: CSV rows or quarantine records."""

    def __init__(self, folder: Path, stem: str, suffix: str, header: str | None = None) -> None:
        super().__init__(folder, stem)
        self.suffix = suffix
        self._raw = open(self.tmp, "wb")  # noqa: SIM115 - closed in _finish()
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="wb", mtime=0, compresslevel=6)
        if header is not None:
            self._gz.write(header.encode())

    def add(self, item: list | str) -> None:
        line = item if isinstance(item, str) else ",".join(map(csv_field, item))
        self._gz.write(line.encode() + b"\n")
        self.rows += 1

    def _finish(self) -> None:
        self._gz.close()
        self._raw.close()


class _ParquetRows(_StagedFile):
    """Parquet (pyarrow), written in row groups so memory stays bounded."""

    suffix = ".parquet"
    ROW_GROUP = 100_000

    def __init__(self, folder: Path, stem: str, table: TableSchema) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        super().__init__(folder, stem)
        self._pa = pa
        self._schema = pa.schema([(c.name, ARROW_TYPES[c.type]()) for c in table.columns])
        self._writer = pq.ParquetWriter(str(self.tmp), self._schema, compression="zstd")
        self._buffer: list[list] = []

    def add(self, row: list) -> None:
        self._buffer.append(row)
        self.rows += 1
        if len(self._buffer) >= self.ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        pa = self._pa
        columns = [pa.array(list(col), type=pa.string()).cast(field.type)
                   if field.type in (pa.timestamp("us"), pa.date32())
                   else pa.array(list(col), type=field.type)
                   for col, field in zip(zip(*self._buffer, strict=True), self._schema, strict=True)]
        self._writer.write_table(pa.Table.from_arrays(columns, schema=self._schema))
        self._buffer = []

    def _finish(self) -> None:
        if self._buffer:
            self._flush()
        self._writer.close()


def _arrow(name: str):
    def make():
        import pyarrow as pa

        return {"string": pa.string(), "short_string": pa.string(), "timestamp": pa.timestamp("us"),
                "date": pa.date32(), "integer": pa.int64(), "double": pa.float64(),
                "boolean": pa.bool_()}[name]
    return make


ARROW_TYPES = {name: _arrow(name) for name in
               ("string", "short_string", "timestamp", "date", "integer", "double", "boolean")}
FORMATS = ("csv.gz", "parquet")


@dataclass
class _Batch:
    files: dict[str, list[dict]] = field(default_factory=dict)  # table -> data files
    rows: Counter = field(default_factory=Counter)  # table -> rows
    duplicates: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    inputs: list[dict] = field(default_factory=list)
    quarantine: dict | None = None
    derive_errors: dict[str, list[dict]] = field(default_factory=dict)  # table -> records


class Publisher:
    """Consumes job output lines (``kind \\t table \\t batch \\t json``) and publishes partitions."""

    def __init__(self, lake: Lake, batches: Iterable[str], max_quarantine_share: float,
                 job_info: dict | None = None, fmt: str = "csv.gz") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown lake format {fmt!r}; choose one of {', '.join(FORMATS)}")
        self.fmt = fmt
        self.lake = lake
        self.tables = all_tables()
        self.batches = {b: _Batch() for b in sorted(batches)}
        self.max_share = max_quarantine_share
        self.job_info = job_info or {}
        self._staging = tempfile.TemporaryDirectory(prefix="pulse-publish-")
        self._open: tuple[str, str, str, int] | None = None  # kind, table, batch, file_no
        self._writer: _StagedFile | None = None
        self._done: set[tuple[str, str, str]] = set()

    def _switch(self, kind: str, table: str, batch: str) -> _StagedFile:
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
            self._writer = _GzipLines(folder, "quarantine", ".jsonl.gz")
        elif self.fmt == "parquet":
            self._writer = _ParquetRows(folder, f"part-{file_no:05d}", self.tables[table])
        else:
            header = ",".join(self.tables[table].column_names) + "\n"
            self._writer = _GzipLines(folder, f"part-{file_no:05d}", ".csv.gz", header)
        self._open = (kind, table, batch, file_no)
        return self._writer

    def _close_writer(self) -> None:
        if self._writer is None:
            return
        kind, table, batch, _ = self._open
        info = self._writer.close()
        target = self.batches[batch]
        if kind == "E":
            target.files.setdefault(table, []).append(info)
        else:
            target.quarantine = info
        self._writer = None

    def _batch(self, batch: str) -> _Batch:
        try:
            return self.batches[batch]
        except KeyError:
            raise RuntimeError(f"job produced output for unrequested batch {batch}") from None

    def consume(self, lines: Iterable[bytes | str]) -> None:
        for raw in lines:
            line = raw.decode() if isinstance(raw, bytes) else raw
            kind, table, batch, payload = line.rstrip("\n").split("\t", 3)
            target = self._batch(batch)
            if kind == "E":
                row = orjson.loads(payload)
                self._switch("E", table, batch).add(row)
                target.rows[table] += 1
            elif kind == "D":
                target.duplicates[table] += int(payload)
            elif kind == "Q":
                self._switch("Q", "-", batch).add(payload)
                target.reasons[orjson.loads(payload)["reason"]] += 1
            elif kind == "F":
                target.inputs.append(orjson.loads(payload))
            elif kind == "X":
                record = orjson.loads(payload)
                target.derive_errors.setdefault(record["table"], []).append(record)
            else:
                raise RuntimeError(f"unexpected job output kind {kind!r}")
        self._close_writer()

    def manifest(self, table: str, batch: str) -> dict:
        """The partition's manifest: files, counts, and how the counts reconcile.

        For `events`, input lines = rows + quarantined + duplicates. For a log table, the
        rows its declaration derived = rows + duplicates, and failed derivations count
        against the same quarantine-share threshold.
        """
        b = self.batches[batch]
        lines = sum(f["lines"] for f in b.inputs)
        rows, dups = b.rows[table], b.duplicates[table]
        files = [{k: v for k, v in f.items() if k != "local_path"} for f in b.files.get(table, [])]
        manifest = {
            "table": table,
            "batch_date": batch,
            "contract_version": CONTRACT_VERSION,
            "format": self.fmt,
            "columns": self.tables[table].column_names,
            "files": files,
            "rows": rows,
            "checksum": hashlib.sha256("".join(f["sha256"] for f in files).encode()).hexdigest(),
            "input": {
                "files": sorted(b.inputs, key=lambda f: f["path"]),
                "lines": lines,
                "damaged_files": sum(1 for f in b.inputs if f["damaged"]),
                "ts_without_offset": sum(f["extra"].get("ts_without_offset", 0) for f in b.inputs),
            },
            "duplicates_in_batch": dups,
            "max_quarantine_share": self.max_share,
            "job": self.job_info,
        }
        if table == "events":
            quarantined = sum(b.reasons.values())
            share = quarantined / lines if lines else 0.0
            manifest.update({
                "quarantined": dict(sorted(b.reasons.items())),
                "quarantined_total": quarantined,
                "quarantine_file": b.quarantine["name"] if b.quarantine else None,
                "reconciled": lines == rows + quarantined + dups,
            })
        else:
            derived = sum(f["extra"].get("derived", {}).get(table, 0) for f in b.inputs)
            errors = b.derive_errors.get(table, [])
            share = len(errors) / (derived + len(errors)) if errors else 0.0
            manifest.update({
                "derived_from": "events",
                "derived_rows": derived,
                "derive_errors": len(errors),
                "derive_error_samples": errors[:20],
                "reconciled": derived == rows + dups,
            })
        failed = share > self.max_share
        manifest.update({
            "quarantine_share": round(share, 6),
            "status": "failed" if failed else "ok",
            "status_reason": (f"{'quarantine' if table == 'events' else 'derive error'} share "
                              f"{share:.2%} exceeds {self.max_share:.2%}" if failed else None),
        })
        return manifest

    def publish(self) -> dict[str, dict]:
        """Publish every requested batch of every table; return the events manifests by batch
        (each carries the log tables' manifests under ``tables``)."""
        out = {}
        for batch, b in self.batches.items():
            manifests = {}
            for table in self.tables:  # events first: it holds the batch's input record
                manifest = self.manifest(table, batch)
                if not manifest["reconciled"]:
                    raise RuntimeError(f"{table} batch {batch} does not reconcile: {manifest}")
                files = {f["name"]: f["local_path"] for f in b.files.get(table, [])}
                if table == "events" and b.quarantine:
                    files[b.quarantine["name"]] = b.quarantine["local_path"]
                publish_partition(self.lake, table, batch, files, manifest)
                manifests[table] = manifest
            out[batch] = {**manifests["events"],
                          "tables": {t: m for t, m in manifests.items() if t != "events"}}
        self._staging.cleanup()
        return out
