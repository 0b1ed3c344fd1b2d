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

    def add_arrow(self, data) -> None:
        """Rows as an Arrow table or record batch (see the subclass for its columns)."""
        raise NotImplementedError

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

    def add_arrow(self, data) -> None:
        """Rows as an Arrow table or record batch: either CSV lines already encoded, each
        ending in a newline (one string column named ``line``), or the columns themselves
        when they are strings, booleans and integers only, written by pyarrow's CSV writer,
        which quotes every string, doubles quotes, leaves NULL empty and writes true/false,
        exactly as csv_field does (not doubles: Python's repr is not Arrow's). The bytes go
        to gzip as they lie in Arrow's buffer (gzip's output does not depend on how its
        input is split between writes)."""
        import numpy as np

        self._flush()
        if data.num_columns != 1 or data.schema.names != ["line"]:
            self._write_csv(data)
            return
        column = data.column(0)
        for chunk in getattr(column, "chunks", [column]):
            if chunk.null_count:
                raise ValueError("encoded lines must not be null")
            if not len(chunk):
                continue
            chunk = chunk.cast("string")  # 32-bit offsets (string views, large strings too)
            _, offsets, values = chunk.buffers()
            bounds = np.frombuffer(offsets, dtype=np.int32, count=len(chunk) + 1,
                                   offset=chunk.offset * 4)
            self._gz.write(memoryview(values)[int(bounds[0]):int(bounds[-1])])
            self.rows += len(chunk)

    def _write_csv(self, data) -> None:
        import pyarrow as pa
        import pyarrow.csv as csv

        for field in data.schema:
            kind = field.type
            if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)
                    or pa.types.is_string_view(kind) or pa.types.is_boolean(kind)
                    or pa.types.is_integer(kind)):
                raise ValueError(f"column {field.name}: {kind} is not written as csv_field "
                                 "writes it; encode the lines first")
        if not data.num_rows:
            return
        sink = pa.BufferOutputStream()
        csv.write_csv(data, sink, csv.WriteOptions(include_header=False, quoting_style="needed",
                                                   eol="\n"))
        self._gz.write(memoryview(sink.getvalue()))
        self.rows += data.num_rows

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
        self._pending: list = []  # Arrow tables of rows not yet in a row group
        self._pending_rows = 0

    def add(self, row: list) -> None:
        if self._pending:  # rows after Arrow batches join the same row groups
            self.add_arrow(self._rows_table([row]))
            return
        self._buffer.append(row)
        self.rows += 1
        if len(self._buffer) >= self.ROW_GROUP:
            self._flush()

    def add_arrow(self, data) -> None:
        """Rows as Arrow columns in the table's order; a timestamp or date column may come as
        text, as rows do. Row groups fall at the same rows as when added one by one, and each
        is written from contiguous arrays, so the file's bytes are the same."""
        pa = self._pa
        if self._buffer:  # rows added one by one join the same row groups
            self._pending.append(self._rows_table(self._buffer))
            self._pending_rows += len(self._buffer)
            self._buffer = []
        if not data.num_rows:
            return
        columns = []
        for column, target in zip(data.columns, self._schema, strict=True):
            if target.type in (pa.timestamp("us"), pa.date32()) and (
                    pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
                    or pa.types.is_string_view(column.type)):
                column = column.cast(pa.string())
            columns.append(column.cast(target.type))
        self._pending.append(pa.Table.from_arrays(columns, schema=self._schema))
        self._pending_rows += data.num_rows
        self.rows += data.num_rows
        if self._pending_rows >= self.ROW_GROUP:
            table = pa.concat_tables(self._pending)
            start = 0
            while self._pending_rows - start >= self.ROW_GROUP:
                self._write_group(table.slice(start, self.ROW_GROUP))
                start += self.ROW_GROUP
            self._pending = [table.slice(start)] if start < table.num_rows else []
            self._pending_rows = table.num_rows - start

    def _write_group(self, table) -> None:
        self._writer.write_table(table.combine_chunks())

    def _flush_arrow(self) -> None:
        if self._pending:
            self._write_group(self._pa.concat_tables(self._pending))
        self._pending, self._pending_rows = [], 0

    def _rows_table(self, rows: list[list]):
        pa = self._pa
        columns = [pa.array(list(col), type=pa.string()).cast(field.type)
                   if field.type in (pa.timestamp("us"), pa.date32())
                   else pa.array(list(col), type=field.type)
                   for col, field in zip(zip(*rows, strict=True), self._schema, strict=True)]
        return pa.Table.from_arrays(columns, schema=self._schema)

    def _flush(self) -> None:
        self._writer.write_table(self._rows_table(self._buffer))
        self._buffer = []

    def _finish(self) -> None:
        if self._buffer:
            self._flush()
        self._flush_arrow()
        self._writer.close()
