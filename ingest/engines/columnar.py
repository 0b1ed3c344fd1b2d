"""The columnar engine: ingest in this process with DuckDB, line-for-line equal to mrjob's.

Per raw file, lines are read in chunks of CHUNK_LINES and handed to DuckDB (two threads) as
Arrow; one query (columnar_sql) checks the contract and vouches for the lines it accepts.
Every other line — rejected, or one on which DuckDB's JSON reader could disagree with
orjson — runs through the reference parser (ingest.formats), so reason codes, details and
rows are the reference's. Accepted rows, log-table rows and quarantine records are staged in
an on-disk DuckDB database, then deduplicated (first copy by file, then line) and handed to
the lake publisher in key order, exactly as the mrjob engine's reducer output is.

Memory: one chunk of raw lines and its Arrow columns, plus DuckDB's MEMORY_LIMIT (it spills
the staged rows and the sorts to the temporary folder), flat in input size.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

import orjson

from ingest import tables as declared
from ingest.contract import Limits, Rejection
from ingest.engines.columnar_sql import OUTPUT, accept_query
from ingest.formats import format_for, get_format
from ingest.jobs.logic import SEP, batch_of, derive_entries, quarantine_entry
from ingest.lake import Publisher
from ingest.reader import FileStats, Line, read_lines
from ingest.schema import EVENTS
from ingest.tables import LogTable

if TYPE_CHECKING:
    import duckdb

    from ingest.run import IngestOptions

CHUNK_LINES = 100_000
THREADS = 2
MEMORY_LIMIT = "1GB"
_SORT = orjson.OPT_SORT_KEYS
_EVENT_TYPES = {"ts_has_offset": "boolean", "source_line": "bigint"}
_DERIVED_TYPES = ["string", "string", "string", "int32", "string", "int64", "string"]
_QUARANTINE_TYPES = ["string", "string", "int64", "string", "string"]


def _connect(folder: str) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(f"{folder}/stage.duckdb", config={
        "threads": THREADS, "memory_limit": MEMORY_LIMIT, "temp_directory": f"{folder}/spill",
        "preserve_insertion_order": False})
    columns = ", ".join(f"{c} {_EVENT_TYPES.get(c, 'varchar')}" for c in EVENTS.column_names)
    con.execute(f"create table events ({columns})")
    con.execute("create table derived (tbl varchar, batch varchar, event_id varchar, n integer, "
                "source_file varchar, source_line bigint, payload varchar)")
    con.execute("create table quarantine (batch varchar, source_file varchar, "
                "source_line bigint, reason varchar, record varchar)")
    return con


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
        for chunk in _chunks(read_lines(self.path, self.stats)):
            self._chunk(chunk)
        self.stats.extra["ts_without_offset"] = self.no_offset
        self.stats.extra["derived"] = self.derived
        return dict(self.stats.__dict__)

    def _chunk(self, lines: list[Line]) -> None:
        rows: list[list] = []
        slow = [i for i, line in enumerate(lines) if line.too_long or line.fragment]
        if self.fmt == "jsonl":
            fast, routed = self._fast(lines, set(slow))
            slow = sorted([*slow, *routed])
        else:
            fast, slow = [], list(range(len(lines)))
        for i in slow:
            line = lines[i]
            result = self.parse(line, self.batch_date, self.limits)
            if isinstance(result, Rejection):
                _, record = quarantine_entry(self.batch, self.source, line.number, result, line.data)
                self.quarantine.append((self.batch, self.source, line.number, result.reason,
                                        record))
                continue
            row, _ = result
            rows.append([*row, self.batch, self.source, line.number])
        self._stage(fast + rows)
        self.flush_quarantine()

    def _fast(self, lines: list[Line], skip: set[int]) -> tuple[list[list], list[int]]:
        """Rows of the lines the query vouches for; indexes of the lines it routes."""
        import pyarrow as pa

        texts, routed = [], []
        for i, line in enumerate(lines):
            text = None
            if i not in skip:
                try:
                    text = line.data.decode()
                except UnicodeDecodeError:
                    routed.append(i)
            texts.append(text)
        chunk = pa.table({"idx": pa.array(range(len(lines)), pa.int32()),
                          "line": pa.array(texts, pa.string())})
        self.con.register("chunk", chunk)
        result = self.con.sql(_query(self.batch_date, self.limits)).to_arrow_table()
        self.con.unregister("chunk")
        ok = result.column("ok").to_pylist()
        idx = result.column("idx").to_pylist()
        seen = set(idx)
        routed += [i for i, good in zip(idx, ok, strict=True) if not good]
        routed += [i for i in range(len(lines)) if i not in seen and i not in skip
                   and texts[i] is not None]
        columns = [result.column(name).to_pylist() for name in OUTPUT]
        rows = []
        for n, good in enumerate(ok):
            if good:
                row = [col[n] for col in columns]
                row[10] = orjson.dumps(orjson.loads(row[10]), option=_SORT).decode()
                rows.append([*row, self.batch, self.source, lines[idx[n]].number])
        return rows, sorted(routed)

    def _stage(self, rows: list[list]) -> None:
        """Count, derive log-table rows from, and store the chunk's accepted rows."""
        import pyarrow as pa

        if not rows:
            return
        self.no_offset += sum(not row[11] for row in rows)
        derived = []
        for table in self.tables:
            for row in rows:
                if table.events is None or row[1] in table.events:
                    derived += self._log_rows(table, row)
        _insert(self.con, "events", rows, [
            pa.bool_() if name == "ts_has_offset" else pa.int64() if name == "source_line"
            else pa.string() for name in EVENTS.column_names])
        _insert(self.con, "derived", derived, _DERIVED_TYPES)

    def _log_rows(self, table: LogTable, row: list) -> list[tuple]:
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
            out.append((table.name, self.batch, row[0], n, self.source, row[-1], value))
        return out

    def flush_quarantine(self) -> None:
        if self.quarantine:
            _insert(self.con, "quarantine", self.quarantine, _QUARANTINE_TYPES)
            self.quarantine = []


def _insert(con, table: str, rows: list, types: list) -> None:
    """Append rows (lists or tuples in the table's column order) through Arrow."""
    import pyarrow as pa

    if not rows:
        return
    staged = pa.table({f"c{i}": pa.array([row[i] for row in rows], kind)
                       for i, kind in enumerate(types)})
    con.register("staged", staged)
    con.execute(f"insert into {table} select * from staged").fetchall()
    con.unregister("staged")


def _chunks(lines: Iterator[Line]) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= CHUNK_LINES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@cache
def _query(batch_date, limits: Limits) -> str:
    return accept_query(batch_date, limits)


def _first_copies(con, sql: str, params: list) -> Iterator[tuple]:
    """Rows of a query, streamed in Arrow batches."""
    reader = con.sql(sql, params=params).to_arrow_reader(50_000)
    try:
        for batch in reader:
            yield from zip(*(col.to_pylist() for col in batch.columns), strict=True)
    finally:
        reader.close()


def _publish(con, publisher: Publisher, inputs: list[tuple[str, dict]],
             errors: list[tuple]) -> None:
    """Hand the staged batch to the publisher in the mrjob reducer's key order."""
    for batch in publisher.batches:
        rows = _first_copies(con, """
            select * exclude (rn) from (
                select *, row_number() over (partition by event_id
                                             order by source_file, source_line) as rn
                from events where batch_date = ?)
            where rn = 1 order by event_id""", [batch])
        for row in rows:
            publisher.add_row(EVENTS.name, batch, row)
        dups = con.execute("select count(*) - count(distinct event_id) from events "
                           "where batch_date = ?", [batch]).fetchall()[0][0]
        publisher.add_duplicates(EVENTS.name, batch, dups)
        for table in declared.log_tables():
            rows = _first_copies(con, """
                select payload from (
                    select payload, event_id, n, row_number() over (
                        partition by event_id, n order by source_file, source_line) as rn
                    from derived where tbl = ? and batch = ?)
                where rn = 1 order by event_id, n""", [table, batch])
            for (payload,) in rows:
                publisher.add_row(table, batch, orjson.loads(payload))
            dups = con.execute("select count(*) - count(distinct (event_id, n)) from derived "
                               "where tbl = ? and batch = ?", [table, batch]).fetchall()[0][0]
            publisher.add_duplicates(table, batch, dups)
        records = _first_copies(con, "select reason, record from quarantine where batch = ? "
                                "order by source_file, source_line", [batch])
        for reason, record in records:
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
        con = _connect(tmp)
        try:
            for path in files:
                staged = _File(con, path, path.removeprefix("file://"), options.fmt,
                               options.limits, tables, errors)
                stats = staged.run()
                inputs.append((staged.batch, stats))
            _publish(con, publisher, inputs, errors)
        finally:
            con.close()
