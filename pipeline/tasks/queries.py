"""The named reads the tasks make of raw and mart tables (pulse_meta reads live in
warehouse.meta). Every function takes a `SqlClient`, so no task holds SQL of its own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from warehouse.clients.base import SqlClient
from warehouse.target import raw_table

RAW_EVENTS = raw_table("events")  # quoted: raw is a reserved word on Redshift
FCT_EVENTS = "marts.fct_events"


def _in(batches: Sequence[date | str]) -> str:
    return ", ".join(["%s"] * len(batches))


def raw_event_count(client: SqlClient, batches: Sequence[date | str]) -> int:
    """Rows of raw.events in the given batches."""
    if not batches:
        return 0
    return int(client.scalar(f"select count(*) from {RAW_EVENTS} where batch_date in ({_in(batches)})",
                             list(batches)))


def fct_event_count(client: SqlClient, batches: Sequence[date | str]) -> int:
    """Rows of marts.fct_events in the given batches."""
    if not batches:
        return 0
    return int(client.scalar(f"select count(*) from {FCT_EVENTS} where batch_date in ({_in(batches)})",
                             list(batches)))


def events_missing_from_fct(client: SqlClient, batch: date | str) -> int:
    """Distinct event_ids of a raw batch that did not reach fct_events."""
    return int(client.scalar(
        f"select count(distinct r.event_id) from {RAW_EVENTS} as r left join {FCT_EVENTS} as f "
        "on r.event_id = f.event_id where r.batch_date = %s and f.event_id is null", [batch]))


def fct_rows_and_ids(client: SqlClient, batch: date | str) -> tuple[int, int]:
    """(rows, distinct event_ids) of a batch in fct_events: equal when nothing is duplicated."""
    rows, ids = client.fetchone(
        f"select count(*), count(distinct event_id) from {FCT_EVENTS} where batch_date = %s", [batch])
    return int(rows), int(ids)


def raw_table_count(client: SqlClient, table: str, batch: date | str) -> int:
    """Rows of raw.<table> in one batch."""
    return int(client.scalar(f"select count(*) from {raw_table(table)} where batch_date = %s",
                             [batch]))
