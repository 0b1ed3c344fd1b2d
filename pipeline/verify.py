"""Verify batch dates end to end: lake files ↔ manifest ↔ load audit ↔ warehouse row counts.

`pulse verify` reports; the verify step at the start of every `pulse run` also repairs: a
published date with a missing or mismatching piece is withdrawn and the broken partitions'
loads invalidated (`meta.invalidate_load`), so the date is incomplete again and the run
re-ingests it from raw (or stops with exit code 4 when its raw folder is gone). A loaded date
that is not published yet is checked and repaired the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from ingest.lake import Lake, partition_dir
from ingest.lake.verify import verify_partition
from ingest.tables import all_tables
from pipeline.tasks import queries
from warehouse import meta
from warehouse.clients.base import SqlClient

log = logging.getLogger("pulse.verify")
STAGE = "verify"


@dataclass
class DateVerdict:
    """What verifying one batch date found; ``problems`` maps a table to its problem lines."""

    batch_date: str
    published: bool
    ingested: bool  # every table's manifest is there
    loaded: bool = False  # some table of the date has a current load
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return [p for table in sorted(self.problems) for p in self.problems[table]]


def verify_date(client: SqlClient, lake: Lake, day: str, tables: Iterable[str]) -> DateVerdict:
    """Lake ↔ manifest for every date; for a published or loaded date also manifest ↔ load
    audit ↔ raw table rows. A date that is not ingested yet is not a problem."""
    published = meta.published(client, day) is not None
    verdict = DateVerdict(day, published, ingested=True)
    for table in tables:
        check = verify_partition(lake, table, day)
        problems = list(check.problems)
        record = meta.last_load(client, table, day)
        loaded = record is not None and record.status == "loaded"
        verdict.loaded = verdict.loaded or loaded
        if check.manifest is None:
            verdict.ingested = False
            if not published and not loaded and check.missing:
                problems = []  # not ingested yet: the run's ingest takes care of it
        elif loaded:
            raw = f"raw.{table}"
            # unpublished, a newer manifest than the load is work left (the load task redoes it)
            if published and record.checksum != check.manifest.checksum:
                problems.append(f"{raw} {day}: loaded checksum {record.checksum[:12]}… differs "
                                f"from the manifest's {check.manifest.checksum[:12]}…")
            rows = queries.raw_table_count(client, table, day)
            if rows != record.rows:
                problems.append(f"{raw} {day}: holds {rows} rows, load {record.load_id} wrote "
                                f"{record.rows}")
        elif published:  # an unpublished date may be half loaded: that is work left, not damage
            problems.append(f"raw.{table} {day}: no current load in pulse_meta.load_audit")
        if problems:
            verdict.problems[table] = problems
    return verdict


def verify_dates(client: SqlClient, lake: Lake, dates: Iterable[date]) -> list[DateVerdict]:
    """One verdict per date (pulse_meta must be set up)."""
    tables = list(all_tables())
    return [verify_date(client, lake, d.isoformat(), tables) for d in dates]


def repair(client: SqlClient, lake: Lake, dates: Iterable[date], run_id: str) -> list[DateVerdict]:
    """The run's verify step (under the dates' batch locks): remove temp files interrupted
    writes left in the dates' partitions, then make every published or loaded date that
    fails verification incomplete again. Returns the verdicts of the dates it withdrew."""
    dates = list(dates)
    for day in dates:
        for table in all_tables():
            for rel in lake.remove_temp(partition_dir(table, day.isoformat())):
                log.info("removed %s (a temp file of an interrupted write)", rel)
    withdrawn = []
    for verdict in verify_dates(client, lake, dates):
        if verdict.ok or not (verdict.published or verdict.loaded):
            continue
        day = verdict.batch_date
        load_id = None
        for table in verdict.problems:
            load_id = meta.invalidate_load(client, table, day, lake.uri)
        meta.unpublish(client, day)
        meta.write_state(client, STAGE, day, "invalid", load_id, run_id, "; ".join(verdict.lines()))
        log.warning("batch %s failed verification and is incomplete again: %s", day,
                    "; ".join(verdict.lines()))
        withdrawn.append(verdict)
    return withdrawn
