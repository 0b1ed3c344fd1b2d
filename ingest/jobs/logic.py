"""Engine-independent map and reduce logic of the ingest job.

mrjob (ingest/jobs/ingest_job.py) only wires these generators into its steps, so another
engine can run the same logic. Keys are plain strings whose sort order groups one batch's
copies of an event id; values are JSON.

Map output keys (fields separated by US, 0x1f, which no accepted id contains):
  E <table> <batch> <event_id>[ <n>]  accepted row (events, or a log table's n-th row of
                                      the event)        value: [row..., source_file, line]
  Q <batch> <source_file> <line>      quarantined line  value: quarantine record
  X <batch> <table> <file> <line>     a log table's derive function failed on an event
  F <batch> <source_file>             per-file read stats  value: FileStats fields
Reduce output lines (tab separated): ``kind \t table \t batch \t json``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import PurePosixPath

import orjson

from ingest.contract import Limits, Rejection
from ingest.formats import format_for, get_format
from ingest.reader import FileStats, read_lines
from ingest.tables import Event, LogTable, log_tables

SEP = "\x1f"
_BATCH = re.compile(r"\d{4}-\d{2}-\d{2}")
QUARANTINE_RAW_LIMIT = 64 * 1024  # bytes of the raw line kept in a quarantine record


def batch_of(uri: str) -> tuple[date, str]:
    """The batch date (name of the raw file's folder) and the file's name within the batch."""
    path = PurePosixPath(uri.split("://", 1)[-1])
    folder = path.parent.name
    if not _BATCH.fullmatch(folder):
        raise ValueError(f"raw file {uri} is not inside a YYYY-MM-DD batch folder")
    return date.fromisoformat(folder), f"{folder}/{path.name}"


def quarantine_entry(batch: str, source: str, number: int, rejection: Rejection, data: bytes) -> tuple:
    record = {
        "batch_date": batch, "source_file": source, "source_line": number,
        "reason": rejection.reason, "detail": rejection.detail,
        "raw": data[:QUARANTINE_RAW_LIMIT].decode("utf-8", errors="backslashreplace"),
        "raw_bytes": len(data),
    }
    return SEP.join(("Q", batch, source, f"{number:012d}")), orjson.dumps(record).decode()


def map_file(local_path: str, uri: str, fmt: str = "auto",
             limits: Limits = Limits()) -> Iterator[tuple[str, str]]:
    """Parse one raw file; yield keyed rows, quarantine records and the file's stats."""
    batch_date, source = batch_of(uri)
    batch = batch_date.isoformat()
    parse = get_format(format_for(source, fmt))
    stats = FileStats(path=source)
    no_offset = 0
    tables = list(log_tables().values())
    derived = dict.fromkeys((t.name for t in tables), 0)
    for line in read_lines(local_path, stats):
        result = parse(line, batch_date, limits)
        if isinstance(result, Rejection):
            yield quarantine_entry(batch, source, line.number, result, line.data)
            continue
        row, had_offset = result
        no_offset += not had_offset
        lineage = (batch, source, line.number)
        for table in tables:
            if table.events is None or row[1] in table.events:
                for kv in derive_entries(table, row, lineage):
                    derived[table.name] += kv[0][0] == "E"
                    yield kv
        row.extend(lineage)
        yield SEP.join(("E", "events", batch, row[0])), orjson.dumps(row).decode()
    stats.extra["ts_without_offset"] = no_offset
    stats.extra["derived"] = derived
    yield SEP.join(("F", batch, source)), orjson.dumps(stats.__dict__).decode()


def derive_entries(table: LogTable, row: list, lineage: tuple) -> Iterator[tuple[str, str]]:
    """A log table's rows for one accepted event; a failing declaration is recorded, not fatal."""
    batch, source, number = lineage
    event = Event(*row[:2], datetime.fromisoformat(row[2]), *row[3:10],
                  orjson.loads(row[10]))
    try:
        rows = table.rows(event)
    except Exception as exc:  # an analyst's function: record every failure, never crash
        record = {"table": table.name, "event_id": row[0], "source_file": source,
                  "source_line": number, "error": f"{type(exc).__name__}: {exc}"[:300]}
        yield (SEP.join(("X", batch, table.name, source, f"{number:012d}")),
               orjson.dumps(record).decode())
        return
    for n, values in enumerate(rows):
        key = SEP.join(("E", table.name, batch, row[0]) + ((f"{n:06d}",) if n else ()))
        yield key, orjson.dumps([row[0], *values, *lineage]).decode()


def reduce_group(key: str, values: Iterable[str]) -> Iterator[str]:
    """Keep the first copy (by file, then line) of each event id in a batch; count the rest."""
    kind, rest = key.split(SEP, 1)
    if kind == "E":
        table, batch, _ = rest.split(SEP, 2)
        values = list(values)
        if len(values) == 1:  # the common case: no copy to choose from, pass the JSON through
            yield f"E\t{table}\t{batch}\t{values[0]}"
            return
        rows = [orjson.loads(v) for v in values]
        best = min(rows, key=lambda r: (r[-2], r[-1]))
        yield f"E\t{table}\t{batch}\t{orjson.dumps(best).decode()}"
        yield f"D\t{table}\t{batch}\t{len(rows) - 1}"
    else:
        batch = rest.split(SEP, 1)[0]
        for value in values:
            yield f"{kind}\t-\t{batch}\t{value}"


def run_in_memory(files: Iterable[tuple[str, str]], fmt: str = "auto",
                  limits: Limits = Limits()) -> list[str]:
    """Map, shuffle and reduce in this process (tests and tiny inputs; proves the logic
    needs no mrjob). `files` are (local path, uri) pairs; returns output lines in key order."""
    from itertools import groupby

    pairs = sorted((kv for path, uri in files for kv in map_file(path, uri, fmt, limits)),
                   key=lambda kv: kv[0])
    return [out for key, group in groupby(pairs, key=lambda kv: kv[0])
            for out in reduce_group(key, (v for _, v in group))]
