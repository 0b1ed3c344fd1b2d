"""Data monitors for one batch date: volume anomalies, freshness, ingest health, schema drift.

Each returns MonitorResults; the SQL-heavy statistics live in dbt (rpt_event_volume_anomalies,
int_event_schema_first_seen), these only read the verdicts for the day.
"""

from __future__ import annotations

from datetime import date

from ingest.lake import open_lake, read_manifest
from monitor.config import IngestMonitorConfig
from monitor.results import MonitorResult
from warehouse import meta
from warehouse.clients import SqlClient
from warehouse.target import raw_table


def volume_anomalies(client: SqlClient, day: date) -> list[MonitorResult]:
    """Anomalous event volumes of `day` (drops are errors, spikes warnings)."""
    if not client.table_exists("marts", "rpt_event_volume_anomalies"):
        return [MonitorResult("volume_anomaly", "all", "error",
                              "marts.rpt_event_volume_anomalies does not exist; run dbt build")]
    rows = client.fetch("""
        select event_name, observed, expected, lower_bound, upper_bound, score, is_anomaly, direction
        from marts.rpt_event_volume_anomalies where event_date = %s order by event_name""", [day])
    if not rows:
        return [MonitorResult("volume_anomaly", "all", "error",
                              f"no event volume for {day}: its batch is not in the marts")]
    results = []
    for name, observed, expected, lower, upper, score, is_anomaly, direction in rows:
        if not is_anomaly:
            continue
        results.append(MonitorResult(
            "volume_anomaly", name, "error" if direction == "drop" else "warn",
            f"{name} on {day}: {observed:,.0f} events, expected {expected:,.0f} "
            f"(normal range {lower:,.0f}..{upper:,.0f}, score {score:+.1f}): {direction}",
            float(observed), float(expected)))
    scored = sum(1 for r in rows if r[2] is not None)
    results.append(MonitorResult("volume_anomaly", "all", "ok",
                                 f"{len(rows)} event names, {scored} with enough history, "
                                 f"{len(results)} anomalous"))
    return results


def freshness(client: SqlClient, day: date, cfg: IngestMonitorConfig) -> list[MonitorResult]:
    """Is batch `day` loaded, and is it not empty? Uses the loader's audit and raw.events."""
    if not client.table_exists(meta.SCHEMA, meta.LOAD_AUDIT.name):
        return [MonitorResult("freshness", "events", "error", "no load audit: nothing was ever loaded")]
    latest = meta.latest_loaded_batch(client, "events")
    if latest is None:
        return [MonitorResult("freshness", "events", "error", "no events batch was ever loaded")]
    lag = (day - latest).days
    status = ("error" if lag >= cfg.freshness_error_days else
              "warn" if lag >= cfg.freshness_warn_days else "ok")
    results = [MonitorResult("freshness", "events", status,
                             f"latest loaded events batch is {latest} ({max(lag, 0)} day(s) before {day})",
                             float(lag), 0.0)]
    if lag <= 0:
        (rows,) = client.fetch(f"select count(*) from {raw_table('events')} where batch_date = %s", [day])[0]
        if rows == 0:
            results.append(MonitorResult("freshness", "events_rows", "error",
                                         f"batch {day} is loaded but holds no events", 0.0))
    return results


def late_share(client: SqlClient, day: date, cfg: IngestMonitorConfig) -> list[MonitorResult]:
    """Share of batch `day`'s rows whose events belong to earlier days (a late batch lands here)."""
    total, late = client.fetch(f"""
        select count(*), count(case when cast(event_at as date) < batch_date then 1 end)
        from {raw_table('events')} where batch_date = %s""", [day])[0]
    if not total:
        return []
    share = late / total
    status = "warn" if share > cfg.late_share_warn else "ok"
    return [MonitorResult("late_arrivals", "events", status,
                          f"{share:.1%} of batch {day} ({late:,} of {total:,} rows) are events of "
                          f"earlier days" + (" - an earlier batch arrived late?" if status != "ok" else ""),
                          share, cfg.late_share_warn)]


def ingest_health(lake_uri: str | None, day: date, cfg: IngestMonitorConfig) -> list[MonitorResult]:
    """Quarantine share of the batch, overall and per rejection reason, from its lake manifest."""
    if not lake_uri:
        return []
    manifest = read_manifest(open_lake(lake_uri), "events", day.isoformat())
    if manifest is None:
        return [MonitorResult("ingest_health", "manifest", "error",
                              f"batch {day} is not published in the lake {lake_uri}")]
    lines = manifest.input.lines
    share = manifest.quarantined_total / lines if lines else 0.0
    status = ("error" if not manifest.ok or share > cfg.quarantine_share_error else
              "warn" if share > cfg.quarantine_share_warn else "ok")
    results = [MonitorResult("ingest_health", "quarantine", status,
                             f"batch {day}: {manifest.quarantined_total:,} of {lines:,} lines "
                             f"quarantined ({share:.2%}), status {manifest.status}",
                             share, cfg.quarantine_share_warn)]
    for reason, count in sorted(manifest.quarantined.items()):
        reason_share = count / lines if lines else 0.0
        if reason_share > cfg.reason_share_warn:
            results.append(MonitorResult("ingest_health", f"quarantine.{reason}", "warn",
                                         f"batch {day}: {count:,} lines ({reason_share:.2%}) rejected "
                                         f"as {reason}", reason_share, cfg.reason_share_warn))
    return results


def schema_drift(client: SqlClient, day: date) -> list[MonitorResult]:
    """Event names and property keys first seen in batch `day` (not on the very first batch)."""
    if not client.JSON_KEY_ROWS or not client.table_exists("intermediate", "int_event_schema_first_seen"):
        return [MonitorResult("schema_drift", "all", "ok",
                              "int_event_schema_first_seen is not built on this warehouse; skipped")]
    rows = client.fetch("""
        select schema_element, event_name, property_key
        from intermediate.int_event_schema_first_seen
        where first_seen_batch_date = %s
          and first_seen_batch_date > (select min(first_seen_batch_date)
                                       from intermediate.int_event_schema_first_seen)
        order by schema_element""", [day])
    results = [MonitorResult("schema_drift", element, "warn",
                             f"new event name {name!r} first seen in batch {day}" if key is None else
                             f"new property key {key!r} on event {name!r} first seen in batch {day}")
               for element, name, key in rows]
    return results or [MonitorResult("schema_drift", "all", "ok", f"no new event names or keys in {day}")]
