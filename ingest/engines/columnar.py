"""The columnar engine: ingest in this process with DuckDB, line-for-line equal to mrjob's.

Per raw file, a clean block of text is split into an Arrow text array from numpy offsets (no
Python object per line) and handed to DuckDB (two threads); one query (columnar_sql) checks
the contract, vouches for the lines it accepts and says where its properties text is
canonical already. Every other line — rejected, or one on which DuckDB's JSON reader could
disagree with orjson — runs through the reference parser (ingest.formats), so reason codes,
details and rows are the reference's. Accepted rows, log-table rows (derived in SQL where the
declaration gives column expressions, else by its Python function per event) and quarantine
records are staged in an on-disk DuckDB database, then deduplicated (first copy by file, then
line) and handed to the lake publisher in key order as Arrow batches, exactly the rows of the
mrjob engine's reducer output: Parquet row groups and gzip CSV bytes are the same.

Memory: one block (_BLOCK, 16 MiB of text) with its Arrow lines and query result (a few
times the block), DuckDB's MEMORY_LIMIT (1 GB; it spills the staged rows and the sorts to
the temporary folder) and, while publishing, one Arrow batch of _BATCH_ROWS rows plus at
most one pending Parquet row group: about 1.5 GB at worst, whatever the input size (peak
RSS measured: ~0.8 GB for 1M events, 1.35 GB for 4M as DuckDB's buffer pool fills to its
limit; main's engine measured the same 1.34 GB at 4M).
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import orjson

from ingest import tables as declared
from ingest.contract import Limits, Rejection, encode_properties
from ingest.engines.columnar_sql import OUTPUT, accept_query, sql_list
from ingest.formats import format_for, get_format
from ingest.jobs.logic import SEP, batch_of, derive_entries, quarantine_entry
from ingest.lake import Publisher
from ingest.reader import KEPT_PREFIX_BYTES, MAX_LINE_BYTES, FileStats, Line, open_raw, read_lines
from ingest.schema import EVENTS, TableSchema
from ingest.tables import LogTable

if TYPE_CHECKING:
    import duckdb

    from ingest.run import IngestOptions

CHUNK_LINES = 100_000  # lines per chunk after damage (read_lines path)
_BLOCK = 16 * 1024 * 1024  # bytes of decompressed text per chunk on a clean stream
THREADS = 2
_BATCH_ROWS = 100_000  # rows per Arrow batch handed to the publisher
MEMORY_LIMIT = "1GB"
_EVENT_TYPES = {"ts_has_offset": "boolean", "source_line": "bigint"}
_QUARANTINE_TYPES = ["string", "string", "int64", "string", "string"]


_DUCK_TYPES = {"integer": "bigint", "double": "double", "boolean": "boolean"}  # else varchar


def _log_table(name: str) -> str:
    return f'"log_{name}"'


def _connect(folder: str, tables: list[LogTable]) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(f"{folder}/stage.duckdb", config={
        "threads": THREADS, "memory_limit": MEMORY_LIMIT, "temp_directory": f"{folder}/spill",
        "preserve_insertion_order": False})
    con.execute("set enable_progress_bar = false")  # a library prints nothing
    columns = ", ".join(f"{c} {_EVENT_TYPES.get(c, 'varchar')}" for c in EVENTS.column_names)
    con.execute(f"create table events ({columns})")
    for table in tables:  # a log table's rows, typed, with _n (its row number within the event)
        typed = ", ".join(f'"{c.name}" {_DUCK_TYPES.get(c.type, "varchar")}'
                          for c in table.columns)
        con.execute(f"create table {_log_table(table.name)} (event_id varchar, _n integer, "
                    f"{typed}, batch_date varchar, source_file varchar, source_line bigint)")
    con.execute("create table quarantine (batch varchar, source_file varchar, "
                "source_line bigint, reason varchar, record varchar)")
    return con


class _Chunk(NamedTuple):
    """Consecutive lines of one file: ``lines[i]`` (Arrow text) is line ``first + i``, or
    null when ``special[i]`` (too long, a damaged fragment, not UTF-8) must go to the
    reference."""

    first: int
    lines: object  # pyarrow StringArray
    special: dict[int, Line]

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, i: int) -> Line:
        return self.special.get(i) or Line(self.first + i, self.lines[i].as_py().encode())


class _File:
    """One raw file's staging: accepted rows, log-table rows, quarantine and its stats."""

    def __init__(self, con, uri: str, path: str, fmt: str, limits: Limits,
                 tables: list[LogTable], errors: list[tuple]) -> None:
        self.con, self.path, self.limits, self.tables, self.errors = con, path, limits, tables, errors
        self.batch_date, self.source = batch_of(uri)
        self.batch = self.batch_date.isoformat()
        self.fmt = format_for(self.source, fmt)
        self.parse = get_format(self.fmt)
        self.stats = FileStats(path=self.source)
        self.no_offset = 0
        self.derived = dict.fromkeys((t.name for t in tables), 0)
        self.quarantine: list[tuple] = []

    def run(self) -> dict:
        for chunk in read_chunks(self.path, self.stats):
            self._chunk(chunk)
        self.stats.extra["ts_without_offset"] = self.no_offset
        self.stats.extra["derived"] = self.derived
        return dict(self.stats.__dict__)

    def _chunk(self, chunk: _Chunk) -> None:
        slow = range(len(chunk))
        if self.fmt == "jsonl":
            slow = self._fast(chunk)
        rows: list[list] = []
        for i in slow:
            line = chunk.line(i)
            result = self.parse(line, self.batch_date, self.limits)
            if isinstance(result, Rejection):
                _, record = quarantine_entry(self.batch, self.source, line.number, result, line.data)
                self.quarantine.append((self.batch, self.source, line.number, result.reason,
                                        record))
                continue
            row, _ = result
            rows.append([*row, self.batch, self.source, line.number])
        if rows:
            self.no_offset += sum(not row[11] for row in rows)
            self._derive_from(rows)
            _insert(self.con, "events", rows, _event_types())
        _insert(self.con, "quarantine", self.quarantine, _QUARANTINE_TYPES)
        self.quarantine = []

    def _fast(self, chunk: _Chunk) -> list[int]:
        """Stage the lines the query vouches for; return the indexes of the others."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(chunk)
        self.con.register("chunk", pa.table({"idx": pa.array(np.arange(n, dtype=np.int32)),
                                             "line": chunk.lines}))
        result = self.con.sql(_query(self.batch_date, self.limits)).to_arrow_table()
        self.con.unregister("chunk")
        good = result.filter(result.column("ok"))
        idx = good.column("idx").to_numpy()
        routed = np.ones(n, dtype=bool)
        routed[idx] = False
        if not good.num_rows:
            return np.flatnonzero(routed).tolist()
        columns = {name: good.column(name) for name in OUTPUT}
        columns["properties"] = _canonical(good.column("properties"), good.column("canonical"))
        columns["batch_date"] = pa.array([self.batch] * good.num_rows, pa.string())
        columns["source_file"] = pa.array([self.source] * good.num_rows, pa.string())
        columns["source_line"] = pc.add(good.column("idx").cast(pa.int64()), chunk.first)
        staged = pa.table([columns[name] for name in EVENTS.column_names],
                          names=EVENTS.column_names)
        self.no_offset += good.num_rows - pc.sum(staged.column("ts_has_offset")).as_py()
        self.con.register("staged", staged)
        self.con.execute("insert into events select * from staged").fetchall()
        for table in self.tables:
            wanted = None if table.sql is None else self._derive_sql(table)
            if wanted is None:
                wanted = staged if table.events is None else staged.filter(
                    pc.is_in(staged.column("event_name"), pa.array(sorted(table.events))))
            if wanted.num_rows:
                self._derive_from([list(r) for r in zip(*(c.to_pylist() for c in wanted.columns),
                                                        strict=True)], [table])
        self.con.unregister("staged")
        return np.flatnonzero(routed).tolist()

    def _derive_sql(self, table: LogTable):
        """Derive the staged events' rows of `table` from its column expressions; return the
        events on which a not-null column came out null (for the per-event derive)."""
        import pyarrow.compute as pc

        result = self.con.sql(_derive_query(table)).to_arrow_table()
        ok = result.column("_ok")
        good = result.filter(ok).drop_columns(["_ok"])
        if good.num_rows:
            self.derived[table.name] += good.num_rows
            self.con.register("good", good)
            self.con.execute(f"insert into {_log_table(table.name)} select * from good").fetchall()
            self.con.unregister("good")
        lines = result.filter(pc.invert(ok)).column("source_line")
        return self.con.sql("select * from staged where list_contains(?, source_line)",
                            params=[lines.to_pylist()]).to_arrow_table()

    def _derive_from(self, rows: list[list], tables: list[LogTable] | None = None) -> None:
        """The per-event derive (the declaration's Python function) of staged event rows."""
        for table in self.tables if tables is None else tables:
            derived = []
            for row in rows:
                if table.events is None or row[1] in table.events:
                    derived += self._log_rows(table, row)
            _insert(self.con, _log_table(table.name), derived, _log_types(table))

    def _log_rows(self, table: LogTable, row: list) -> list[list]:
        out = []
        lineage = (self.batch, self.source, row[-1])
        for key, value in derive_entries(table, row[:12], lineage):
            kind, *parts = key.split(SEP)
            if kind == "X":
                self.errors.append((self.batch, table.name, self.source, row[-1],
                                    orjson.loads(value)))
                continue
            self.derived[table.name] += 1
            n = int(parts[3]) if len(parts) > 3 else 0
            event_id, *values = orjson.loads(value)
            out.append([event_id, n, *values])
        return out


def _log_types(table: LogTable) -> list:
    import pyarrow as pa

    from ingest.schema import arrow_type

    typed = [pa.string() if c.type in ("timestamp", "date") else arrow_type(c.type)
             for c in table.columns]
    return [pa.string(), pa.int32(), *typed, pa.string(), pa.string(), pa.int64()]


def _derive_query(table: LogTable) -> str:
    """SQL over ``staged``: the table's row of every wanted event, typed as the log table
    stores it, and ``_ok`` unless a not-null column came out null."""
    values = []
    for c in table.columns:
        expr = f"({table.sql[c.name]})"
        if c.type == "timestamp":
            expr = f"strftime(try_cast({expr} as timestamp), '%Y-%m-%d %H:%M:%S.%f')"
        elif c.type == "date":
            expr = f"try_cast(try_cast({expr} as date) as varchar)"
        else:
            expr = f"try_cast({expr} as {_DUCK_TYPES.get(c.type, 'varchar')})"
        values.append(f'{expr} as "{c.name}"')
    guard = " and ".join(f'"{c.name}" is not null' for c in table.columns if not c.nullable)
    where = "" if table.events is None else (
        f"where event_name in {sql_list(sorted(table.events))}")
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    return f"""
        select {guard or 'true'} as _ok, event_id, 0::integer as _n, {names},
               batch_date, source_file, source_line
        from (select event_id, {", ".join(values)}, batch_date, source_file, source_line
              from staged {where})"""


def _canonical(properties, canonical):
    """The properties column as stored: DuckDB's text where the query vouches that it is
    canonical already, re-encoded by the contract's encode_properties elsewhere (only those
    rows go through Python)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    redo = pc.invert(pc.fill_null(canonical, False))
    if not pc.any(redo).as_py():
        return properties
    properties, redo = properties.combine_chunks(), redo.combine_chunks()
    fixed = [encode_properties(orjson.loads(p)).decode()
             for p in properties.filter(redo).to_pylist()]
    return pc.replace_with_mask(properties, redo, pa.array(fixed, pa.string()))


@cache
def _event_types() -> list:
    import pyarrow as pa

    return [pa.bool_() if name == "ts_has_offset" else pa.int64() if name == "source_line"
            else pa.string() for name in EVENTS.column_names]


def read_chunks(path: str, stats: FileStats) -> Iterator[_Chunk]:
    """The file's lines in chunks, exactly as ingest.reader.read_lines reads them.

    A clean stream is split in blocks at C speed, an over-long line dropped as it streams
    (memory stays one block); on a read error (damaged gzip) the rest of the file comes from
    read_lines itself, which alone defines what survives damage: it rereads the file and
    skips the lines already yielded.
    """
    number, total = 0, 0
    try:
        with open_raw(Path(path), stats.path) as handle:
            tail, long_prefix = b"", None
            while block := handle.read(_BLOCK):
                total += len(block)
                pieces: list = []
                if long_prefix is not None:  # inside an over-long line: drop to its end
                    end = block.find(b"\n")
                    if end < 0:
                        continue
                    pieces.append(_TooLong(long_prefix))
                    long_prefix, block = None, block[end + 1:]
                data = tail + block
                cut = data.rfind(b"\n") + 1
                fast = None if pieces else _split(number + 1, data[:cut])
                if fast is not None:
                    tail = data[cut:]
                else:
                    pieces += data.split(b"\n")
                    tail = pieces.pop()
                if len(tail) > MAX_LINE_BYTES:
                    long_prefix, tail = tail[:KEPT_PREFIX_BYTES], b""
                if fast is not None and len(fast):
                    yield fast
                    number += len(fast)
                elif pieces:
                    yield _decoded(number + 1, pieces)
                    number += len(pieces)
            last = _TooLong(long_prefix) if long_prefix is not None else tail
            if last:
                yield _decoded(number + 1, [last])
                number += 1
    except (EOFError, OSError, zlib.error):
        fresh = FileStats(path=stats.path)
        lines = read_lines(path, fresh)
        for _ in range(number):
            next(lines)
        batch: list[Line] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= CHUNK_LINES:
                yield _from_lines(batch)
                batch = []
        if batch:
            yield _from_lines(batch)
        stats.__dict__.update(fresh.__dict__)
        return
    stats.lines, stats.bytes = number, total


def _split(first: int, data: bytes) -> _Chunk | None:
    """Complete lines (``data`` ends in a newline, or is empty) as one Arrow text array built
    from numpy offsets, no Python object per line; None when a line is over-long, ends in
    more than one CR, or the block is not valid UTF-8 (then _decoded, line by line, decides)."""
    import numpy as np
    import pyarrow as pa

    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)  # the newline of each line
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    if len(ends) and int((ends - starts).max()) > MAX_LINE_BYTES:
        return None
    cr = np.zeros(len(ends), dtype=bool)
    nonempty = ends > starts
    cr[nonempty] = raw[ends[nonempty] - 1] == 13
    stop = ends - cr  # each line's end without its CR
    if np.any(raw[stop[cr & (stop > starts)] - 1] == 13):  # "\r\r\n": rstrip takes every CR
        return None
    keep = np.ones(len(raw), dtype=bool)
    keep[ends] = False
    keep[ends[cr] - 1] = False
    removed = np.cumsum(1 + cr.astype(np.int64))  # separator bytes up to each line's end
    offsets = np.empty(len(ends) + 1, dtype=np.int32)
    offsets[0] = 0
    offsets[1:] = stop - removed + 1 + cr  # stop - (separators before this line)
    values = raw[keep]
    lines = pa.StringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(values))
    try:
        lines.validate(full=True)  # UTF-8
    except pa.ArrowInvalid:
        return None
    return _Chunk(first, lines, {})


class _TooLong(NamedTuple):
    prefix: bytes


def _decoded(first: int, pieces: list) -> _Chunk:
    """Raw line contents (no newline) → a chunk; one UTF-8 decode for the whole block."""
    special: dict[int, Line] = {}
    datas = []
    for i, piece in enumerate(pieces):
        if isinstance(piece, _TooLong) or len(piece) > MAX_LINE_BYTES:
            prefix = piece.prefix if isinstance(piece, _TooLong) else piece[:KEPT_PREFIX_BYTES]
            special[i] = Line(first + i, prefix, too_long=True)
            datas.append(b"")
        else:
            datas.append(piece.rstrip(b"\r"))
    try:
        texts: list[str | None] = b"\n".join(datas).decode().split("\n")
    except UnicodeDecodeError:
        texts = []
        for i, data in enumerate(datas):
            try:
                texts.append(data.decode())
            except UnicodeDecodeError:
                special[i] = Line(first + i, data)
                texts.append(None)
    for i in special:
        texts[i] = None
    import pyarrow as pa

    return _Chunk(first, pa.array(texts, pa.string()), special)


def _from_lines(lines: list[Line]) -> _Chunk:
    special = {i: line for i, line in enumerate(lines) if line.too_long or line.fragment}
    datas = [b"" if i in special else line.data for i, line in enumerate(lines)]
    chunk = _decoded(lines[0].number, [_TooLong(b"") if i in special else data
                                       for i, data in enumerate(datas)])
    chunk.special.update(special)
    return chunk


def _insert(con, table: str, rows: list, types: list) -> None:
    """Append rows (lists or tuples in the table's column order) through Arrow."""
    import pyarrow as pa

    if not rows:
        return
    staged = pa.table({f"c{i}": pa.array([row[i] for row in rows], kind)
                       for i, kind in enumerate(types)})
    con.register("python_rows", staged)
    con.execute(f"insert into {table} select * from python_rows").fetchall()
    con.unregister("python_rows")


@cache
def _query(batch_date, limits: Limits) -> str:
    return accept_query(batch_date, limits)


def _first_copies(con, sql: str, params: list) -> Iterator[list]:
    """Rows of a query in lists of up to 50,000, streamed from Arrow batches (a one-column
    query gives its values, not 1-tuples)."""
    reader = con.sql(sql, params=params).to_arrow_reader(50_000)
    try:
        for batch in reader:
            columns = [col.to_pylist() for col in batch.columns]
            yield columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))
    finally:
        reader.close()


def _csv_line(schema: TableSchema) -> str:
    """SQL for a staged row as one CSV line ending in a newline, field by field as
    writers.csv_field writes the row's values (strings, times and dates quoted with doubled
    quotes, NULL empty, booleans true/false; a double as Python's repr, which is DuckDB's
    text of it too)."""
    fields = []
    for c in schema.columns:
        name = f'"{c.name}"'
        if c.type == "boolean":
            fields.append(f"case when {name} then 'true' when not {name} then 'false' "
                          "else '' end")
        elif c.type in ("integer", "double"):
            fields.append(f"coalesce({name}::varchar, '')")
        else:
            fields.append(f"""coalesce('"' || replace({name}, '"', '""') || '"', '')""")
    return " || ',' || ".join(fields) + " || chr(10)"


def _publish_rows(con, publisher: Publisher, schema: TableSchema, batch: str, source: str,
                  key: str) -> None:
    """The first copy (by file, then line) of each `key` of a staged table, in key order,
    straight from DuckDB's Arrow batches to the publisher."""
    if publisher.fmt == "csv.gz" and any(c.type == "double" for c in schema.columns):
        columns = f"{_csv_line(schema)} as line"  # doubles as Python's repr: DuckDB's text
    else:  # the columns (a csv.gz lake's writer encodes strings, booleans, integers itself)
        columns = ", ".join(f'"{name}"' for name in schema.column_names)
    reader = con.sql(f"""
        select {columns} from (
            select *, row_number() over (partition by {key}
                                         order by source_file, source_line) as _rn
            from {source} where batch_date = ?)
        where _rn = 1 order by {key}""", params=[batch]).to_arrow_reader(_BATCH_ROWS)
    try:
        for part in reader:
            publisher.add_arrow(schema.name, batch, part)
    finally:
        reader.close()
    dups = con.execute(f"select count(*) - count(distinct ({key})) from {source} "
                       "where batch_date = ?", [batch]).fetchall()[0][0]
    publisher.add_duplicates(schema.name, batch, dups)


def _publish(con, publisher: Publisher, inputs: list[tuple[str, dict]],
             errors: list[tuple]) -> None:
    """Hand the staged batch to the publisher in the mrjob reducer's key order."""
    for batch in publisher.batches:
        _publish_rows(con, publisher, EVENTS, batch, "events", "event_id")
        for name, table in declared.log_tables().items():
            _publish_rows(con, publisher, table.schema, batch, _log_table(name), "event_id, _n")
        records = _first_copies(con, "select reason, record from quarantine where batch = ? "
                                "order by source_file, source_line", [batch])
        for part in records:
            for reason, record in part:
                publisher.add_quarantine(batch, record, reason)
    for batch, stats in sorted(inputs, key=lambda item: (item[0], item[1]["path"])):
        publisher.add_input(batch, stats)
    for batch, *_, record in sorted(errors, key=lambda e: e[:4]):
        publisher.add_derive_error(batch, record)
    publisher.finish()


def run(files: list[str], options: IngestOptions, publisher: Publisher) -> None:
    """Ingest `files` (local paths) in this process and publish them."""
    tables = list(declared.log_tables().values())
    errors: list[tuple] = []
    inputs = []
    with tempfile.TemporaryDirectory(prefix="pulse-columnar-") as tmp:
        con = _connect(tmp, tables)
        try:
            for path in files:
                staged = _File(con, path, path.removeprefix("file://"), options.fmt,
                               options.limits, tables, errors)
                stats = staged.run()
                inputs.append((staged.batch, stats))
            _publish(con, publisher, inputs, errors)
        finally:
            con.close()
