"""Pipeline monitors: task duration regressions and the publication deadline of a batch.

Task runs come from ``pulse_meta.pipeline_task_runs`` (pipeline/history.py). Publication is
read from ``pulse_meta.published_batches (batch_date date, published_at timestamp, run_id
text)``, one row per publication written by the orchestrator; it is created here when
missing, so the deadline check works (and fires) before the first publication.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta, timezone

from monitor.config import PipelineMonitorConfig
from monitor.results import MonitorResult
from monitor.sql import fetch, table_exists
from pipeline.state import PUBLISHED_TABLE, ensure_meta_tables, publish


def record_publication(conn, dialect: str, batch_date: date, published_at: datetime,
                       run_id: str) -> None:
    """Write one publication row at a given time (tests, and backfilled history)."""
    ensure_meta_tables(conn, dialect)
    publish(conn, dialect, batch_date.isoformat(), 0, 0, run_id,
            published_at=published_at.astimezone(timezone.utc).replace(tzinfo=None))


def p95(values: list[float]) -> float:
    """95th percentile (inclusive method, so it never exceeds the largest value)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def duration_regressions(conn, dialect: str, day: date,
                         cfg: PipelineMonitorConfig) -> list[MonitorResult]:
    """Tasks of batch `day` that took longer than `duration_multiple` x their recent p95."""
    if not table_exists(conn, dialect, "pulse_meta", "pipeline_task_runs"):
        return [MonitorResult("task_duration", "all", "ok", "no run history yet")]
    latest = fetch(conn, dialect, """
        select task_family, task_id, started_at, duration_seconds from pulse_meta.pipeline_task_runs
        where batch_date = %s and status = 'done' and duration_seconds is not null
        order by task_family, started_at desc""", [day])
    results, seen = [], set()
    for family, task_id, started_at, duration in latest:
        if family in seen:
            continue  # only the latest run of each task family for the day
        seen.add(family)
        history = [r[0] for r in fetch(conn, dialect, f"""
            select duration_seconds from pulse_meta.pipeline_task_runs
            where task_family = %s and status = 'done' and duration_seconds is not null
              and started_at < %s
            order by started_at desc limit {int(cfg.duration_history_runs)}""", [family, started_at])]
        if len(history) < cfg.duration_min_history:
            results.append(MonitorResult("task_duration", family, "ok",
                                         f"{family}: {len(history)} earlier runs, too few for a verdict",
                                         duration))
            continue
        limit = cfg.duration_multiple * p95(history)
        slow = duration > limit and duration >= cfg.duration_min_seconds
        results.append(MonitorResult(
            "task_duration", family, "warn" if slow else "ok",
            f"{family} ({task_id}) took {duration:,.0f} s for {day}; recent p95 {p95(history):,.0f} s "
            f"over {len(history)} runs, limit {limit:,.0f} s", duration, limit))
    return results or [MonitorResult("task_duration", "all", "ok", f"no finished task runs for {day}")]


def deadline_for(day: date, cfg: PipelineMonitorConfig) -> datetime:
    hours, minutes = (int(x) for x in cfg.publish_deadline_utc.split(":"))
    return datetime.combine(day + timedelta(days=cfg.publish_deadline_day_offset),
                            time(hours, minutes), tzinfo=timezone.utc)


def publish_deadline(conn, dialect: str, day: date, cfg: PipelineMonitorConfig,
                     now: datetime) -> list[MonitorResult]:
    """Was batch `day` published by its deadline (D + offset days at HH:MM UTC)?"""
    if not table_exists(conn, dialect, "pulse_meta", "published_batches"):
        ensure_meta_tables(conn, dialect)
    deadline = deadline_for(day, cfg)
    (published_at,) = fetch(conn, dialect, f"select min(published_at) from {PUBLISHED_TABLE} "
                                           "where batch_date = %s", [day])[0]
    if published_at is None:
        if now >= deadline:
            return [MonitorResult("publish_deadline", str(day), "error",
                                  f"batch {day} is not published; deadline was "
                                  f"{deadline:%Y-%m-%d %H:%M} UTC")]
        return [MonitorResult("publish_deadline", str(day), "ok",
                              f"batch {day} not published yet; deadline {deadline:%Y-%m-%d %H:%M} UTC")]
    published_at = published_at.replace(tzinfo=timezone.utc)
    late = published_at > deadline
    return [MonitorResult("publish_deadline", str(day), "warn" if late else "ok",
                          f"batch {day} published {published_at:%Y-%m-%d %H:%M} UTC "
                          f"({'after' if late else 'before'} the {deadline:%Y-%m-%d %H:%M} UTC deadline)")]
