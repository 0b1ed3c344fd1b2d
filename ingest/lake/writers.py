"""Staged data files of a partition: gzip text lines (CSV rows, quarantine records) and Parquet.

Each file is written to a staging folder and named after its content when closed, so a rerun
with the same content produces the same file name.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import NamedTuple

from ingest.lake.manifest import DataFile
from ingest.schema import TableSchema, arrow_type


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


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Staged(NamedTuple):
    """A closed data file: its manifest entry and where it waits to be uploaded."""

    file: DataFile
    local_path: str


class StagedFile:
    """A data file in the staging folder, renamed to ``<stem>-<sha12><suffix>`` when closed."""

    suffix = ""

    def __init__(self, folder: Path, stem: str) -> None:
        self.tmp = folder / f"{stem}.tmp"
        self.rows = 0

    def add(self, item) -> None: ...

    def add_many(self, items: list) -> None:
        for item in items:
            self.add(item)

    def _finish(self) -> None: ...

    def close(self) -> Staged:
        self._finish()
        sha = sha256_file(str(self.tmp))
        final = self.tmp.with_name(f"{self.tmp.stem}-{sha[:12]}{self.suffix}")
        self.tmp.rename(final)
        return Staged(DataFile(final.name, self.rows, final.stat().st_size, sha), str(final))


class GzipLines(StagedFile):
    """Deterministic gzip (mtime 0) text lines: CSV rows or quarantine records."""

    def __init__(self, folder: Path, stem: str, suffix: str, header: str | None = None) -> None:
        super().__init__(folder, stem)
        self.suffix = suffix
        self._raw = open(self.tmp, "wb")  # noqa: SIM115 - closed in _finish()
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="wb", mtime=0, compresslevel=6)
        self._lines: list[str] = []
        if header is not None:
            self._gz.write(header.encode())

    BUFFER_LINES = 2048  # lines per gzip write: one compress call per line costs more than it

    def add(self, item: list | str) -> None:
        self._lines.append(item if isinstance(item, str) else ",".join(map(csv_field, item)))
        self.rows += 1
        if len(self._lines) >= self.BUFFER_LINES:
            self._flush()

    def add_many(self, items: list) -> None:
        if items and isinstance(items[0], str):  # CSV lines encoded in bulk by an engine
            self._lines.extend(items)
            self.rows += len(items)
            if len(self._lines) >= self.BUFFER_LINES:
                self._flush()
        else:
            super().add_many(items)

    def _flush(self) -> None:
        if self._lines:
            self._gz.write(("\n".join(self._lines) + "\n").encode())
            self._lines = []

    def _finish(self) -> None:
        self._flush()
        self._gz.close()
        self._raw.close()


class ParquetRows(StagedFile):
    """Parquet (pyarrow), written in row groups so memory stays bounded."""

    suffix = ".parquet"
    ROW_GROUP = 100_000

    def __init__(self, folder: Path, stem: str, table: TableSchema) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        super().__init__(folder, stem)
        self._pa = pa
        self._schema = pa.schema([(c.name, arrow_type(c.type)) for c in table.columns])
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
