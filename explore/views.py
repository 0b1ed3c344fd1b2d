"""The SQL behind the explorer's views, built from the choices on the page.

Every value a user picks is checked against the lake schema (columns) or quoted as a literal
(values), so the SQL a view shows is exactly the SQL it ran. Trends and funnels read the lake
(DuckDB views from explore.lake_views); retention, regressions and experiments read the marts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.contract import Limits

INTERVALS = ("hour", "day", "week")
MEASURES = {"events": "count(*)", "users": "count(distinct coalesce(user_id, anonymous_id))"}
# Columns worth breaking down or filtering by (ids and lineage are not).
DIMENSIONS = ("event_name", "platform", "app_version", "country", "workspace_id", "ts_has_offset",
              "batch_date")
_PROPERTY = re.compile(r"properties\.([A-Za-z0-9_]{1,64})")


class ViewError(ValueError):
    """A choice the SQL cannot be built from (unknown column, bad property key)."""


def lit(value: object) -> str:
    """A SQL literal: strings quoted (quotes doubled), numbers and dates as such."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"date '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def dimension(name: str) -> str:
    """The SQL expression of a breakdown or filter: an events column or ``properties.<key>``."""
    if name in DIMENSIONS:
        return f"cast({name} as varchar)" if name in ("ts_has_offset", "batch_date") else name
    match = _PROPERTY.fullmatch(name)
    if match:
        return f"json_extract_string(properties, '$.{match.group(1)}')"
    raise ViewError(f"cannot break down by {name!r}: choose one of {', '.join(DIMENSIONS)} "
                    f"or properties.<key>")


def time_range(start: dt.date, end: dt.date, column: str = "event_at") -> list[str]:
    """Conditions for event time in [start, end] (whole UTC days), plus the batch dates that can
    hold such events (a batch accepts events up to max_future_days ahead), so older partitions
    are not opened."""
    if end < start:
        raise ViewError(f"time range ends ({end}) before it starts ({start})")
    first_batch = start - dt.timedelta(days=Limits().max_future_days)
    return [f"{column} >= {lit(dt.datetime.combine(start, dt.time()))}",
            f"{column} < {lit(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))}",
            f"batch_date >= {lit(first_batch)}"]


@dataclass(frozen=True)
class TrendSpec:
    start: dt.date
    end: dt.date
    events: tuple[str, ...] = ()  # none: every event
    measure: str = "events"
    interval: str = "day"
    breakdowns: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (dimension, value)


def trend_sql(spec: TrendSpec) -> str:
    """Counts (or unique users) per time bucket and breakdown values."""
    if spec.interval not in INTERVALS:
        raise ViewError(f"interval {spec.interval!r}: choose one of {', '.join(INTERVALS)}")
    if spec.measure not in MEASURES:
        raise ViewError(f"measure {spec.measure!r}: choose one of {', '.join(MEASURES)}")
    if len(spec.breakdowns) > 2:
        raise ViewError("at most two breakdowns")
    keys = [f"{dimension(b)} as b{i + 1}" for i, b in enumerate(spec.breakdowns)]
    where = time_range(spec.start, spec.end)
    if spec.events:
        where.append(f"event_name in ({', '.join(lit(e) for e in spec.events)})")
    where += [f"{dimension(col)} = {lit(value)}" for col, value in spec.filters]
    select = [f"date_trunc('{spec.interval}', event_at) as bucket", *keys,
              f"{MEASURES[spec.measure]} as value"]
    return ("select " + ",\n       ".join(select) + "\nfrom events\nwhere "
            + "\n  and ".join(where) + "\ngroup by all\norder by all")


def funnel_sql(steps: Sequence[str], window_hours: float, start: dt.date, end: dt.date) -> str:
    """Users reaching each ordered step within ``window_hours`` of their first step, with the
    median hours from the first step.

    A user enters at their first step-1 event in the range; each later step counts its first
    occurrence after the previous step and inside the window.
    """
    if not 2 <= len(steps) <= 8:
        raise ViewError("a funnel needs 2 to 8 steps")
    if not 0 < window_hours <= 24 * 90:
        raise ViewError(f"conversion window {window_hours!r} hours: give 1 to {24 * 90}")
    actor = "coalesce(user_id, anonymous_id)"
    names = ", ".join(lit(s) for s in dict.fromkeys(steps))
    where = " and ".join([*time_range(start, end), f"event_name in ({names})", f"{actor} is not null"])
    parts = [f"steps as (\n  select {actor} as actor, event_name, event_at from events\n"
             f"  where {where}\n)",
             f"s1 as (\n  select actor, min(event_at) as t1, min(event_at) as reached_at from steps "
             f"where event_name = {lit(steps[0])} group by actor\n)"]
    for i, step in enumerate(steps[1:], start=2):
        parts.append(
            f"s{i} as (\n  select p.actor, p.t1, min(s.event_at) as reached_at from s{i - 1} p\n"
            f"  join steps s on s.actor = p.actor and s.event_name = {lit(step)}\n"
            f"   and s.event_at > p.reached_at\n"
            f"   and s.event_at <= p.t1 + interval {int(window_hours * 60)} minute\n"
            f"  group by p.actor, p.t1\n)")
    union = "\nunion all\n".join(
        f"select {i} as step, {lit(s)} as event_name, count(*) as users, "
        f"median(epoch(reached_at - t1)) / 3600 as median_hours_from_start from s{i}"
        for i, s in enumerate(steps, start=1))
    return "with " + ",\n".join(parts) + "\n" + union + "\norder by step"


def slowest_actions_sql(start: dt.date, end: dt.date, min_calls: int = 20, limit: int = 20) -> str:
    """p50/p90/p99 of perf timings by action x platform x app version, slowest p90 first."""
    where = " and ".join(time_range(start, end))
    return (f"select action, platform, app_version, count(*) as calls,\n"
            f"       quantile_cont(duration_ms, 0.5) as p50_ms,\n"
            f"       quantile_cont(duration_ms, 0.9) as p90_ms,\n"
            f"       quantile_cont(duration_ms, 0.99) as p99_ms\n"
            f"from perf_timings\nwhere {where}\ngroup by all\nhaving count(*) >= {int(min_calls)}\n"
            f"order by p90_ms desc, action, platform, app_version\nlimit {int(limit)}")


def retention_sql(grain: str) -> str:
    """The weekly or monthly cohort grid from the retention marts."""
    if grain not in ("weekly", "monthly"):
        raise ViewError(f"retention grain {grain!r}: weekly or monthly")
    unit = "week" if grain == "weekly" else "month"
    return (f"select cohort_{unit} as cohort, {unit}s_since_cohort as periods_since, cohort_size,\n"
            f"       active_users, retention_rate, is_period_complete, is_cohort_complete\n"
            f"from marts.rpt_retention_{grain}\norder by cohort, periods_since")


REGRESSIONS_SQL = (
    "select action_name, platform, previous_app_version, app_version, previous_p90_duration_ms,\n"
    "       p90_duration_ms, p90_change_ratio, previous_calls, calls\n"
    "from marts.rpt_perf_version_regression\nwhere is_regression\n"
    "order by p90_change_ratio desc, action_name, platform, app_version")

EXPERIMENTS_SQL = (
    "select experiment_key, metric_key, metric_role, variant, is_control, users, metric_mean,\n"
    "       rel_lift, rel_lift_ci_low, rel_lift_ci_high, p_value_adjusted, cuped_rel_lift,\n"
    "       srm_p_value, has_srm, multi_variant_share, is_trustworthy\n"
    "from marts.rpt_experiment_results\n"
    "order by experiment_key, metric_role, metric_key, is_control desc, variant")

