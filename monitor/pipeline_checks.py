"""Pipeline monitors: task duration regressions and the publication deadline of a batch.

Task runs and publications are read through `warehouse.meta` (``pipeline_task_runs``,
``published_batches``). A check never creates a table: before pulse_meta is set up, the
duration check says there is no history and the deadline check treats the batch as not
published (so the deadline still fires before the first publication).
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta, timezone

from monitor.config import PipelineMonitorConfig
from monitor.results import MonitorResult
from warehouse import meta
from warehouse.clients import SqlClient


def record_publication(client: SqlClient, batch_date: date, published_at: datetime,
                       run_id: str) -> None:
    """Write one publication row at a given time (tests, and backfilled history); the caller
    has set pulse_meta up (`warehouse.meta.setup`)."""
    meta.publish(client, batch_date.isoformat(), 0, 0, run_id,
                 published_at=published_at.astimezone(timezone.utc).replace(tzinfo=None))


def p95(values: list[float]) -> float:
    """95th percentile (inclusive method, so it never exceeds the largest value)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def duration_regressions(client: SqlClient, day: date,
                         cfg: PipelineMonitorConfig) -> list[MonitorResult]:
    """Tasks of batch `day` that took longer than `duration_multiple` x their recent p95."""
    if not meta.is_set_up(client):
        return [MonitorResult("task_duration", "all", "ok", "no run history yet")]
    latest = meta.finished_tasks_of_batch(client, day)
    results, seen = [], set()
    for family, task_id, started_at, duration in latest:
        if family in seen:
            continue  # only the latest run of each task family for the day
        seen.add(family)
        history = meta.duration_history(client, family, started_at, cfg.duration_history_runs)
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


def publish_deadline(client: SqlClient, day: date, cfg: PipelineMonitorConfig,
                     now: datetime) -> list[MonitorResult]:
    """Was batch `day` published by its deadline (D + offset days at HH:MM UTC)?"""
    deadline = deadline_for(day, cfg)
    published_at = meta.first_published_at(client, day) if meta.is_set_up(client) else None
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
