"""Hourly and dimension volume anomalies of one day, from intermediate.int_event_volume_hourly.

`evaluate_day` builds each event's series (its total, and per dimension its top values plus
"other") over the replay window before D, scores them with monitor.hourly according to the
event's seasonality (totals first: a value is scored by its share of its event, and the
hours its total was flagged never train it), and rolls the flagged buckets of D up into
incidents. A dimension incident that the event's total already shows (same hours, same
direction, the total changed at least half as much) is left out: one incident, one finding.
A value that fell much further than the total (iOS to zero, the total to 70%) stays a
finding of its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

import numpy as np

from monitor import hourly
from monitor.config import VolumeMonitorConfig
from monitor.results import MonitorResult
from warehouse.clients import SqlClient

SOURCE = ("intermediate", "int_event_volume_hourly")
OTHER = "other"

# (event, dimension, value) -> {hour start (naive UTC): count}
Counts = dict[tuple[str, str, str], dict[datetime, float]]


def _naive_utc(value: datetime) -> datetime:
    """PostgreSQL may return timestamptz; the series are indexed by naive UTC hours."""
    if value.tzinfo is not None:
        value = (value - value.utcoffset()).replace(tzinfo=None)
    return value


def read_counts(client: SqlClient, first_day: date, last_day: date) -> Counts:
    """On-time hourly counts of the event dates first_day..last_day (UTC)."""
    rows = client.fetch(f"""
        select event_name, event_hour, dimension, dimension_value, event_count
        from {SOURCE[0]}.{SOURCE[1]}
        where event_date >= %s and event_date <= %s""", [first_day, last_day])
    counts: Counts = defaultdict(dict)
    for event, hour, dimension, value, count in rows:
        counts[(event, dimension, value)][_naive_utc(hour)] = float(count)
    return dict(counts)


@dataclass
class SeriesScore:
    """One scored series on day D (its buckets of D only; for the backtest chart)."""

    key: str
    event: str
    dimension: str
    value: str
    seasonality: str
    bucket_starts: list[datetime]
    observed: np.ndarray
    expected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    flagged: np.ndarray
    scored: np.ndarray           # enough history and volume to be flagged
    hourly: bool = True          # buckets are hours (else the day)


@dataclass
class DayVerdict:
    day: date
    series: list[SeriesScore] = field(default_factory=list)
    incidents: list[hourly.Incident] = field(default_factory=list)
    suppressed: int = 0          # dimension incidents explained by the total's
    has_data: bool = False       # any count on D at all


def series_key(event: str, dimension: str, value: str) -> str:
    return event if dimension == "all" else f"{event}[{dimension}={value}]"


def _series_for(counts: Counts, cfg: VolumeMonitorConfig, hours: list[datetime],
                day_start: int) -> dict[tuple[str, str, str], np.ndarray]:
    """Dense hourly arrays: each event's total and its top-N values (+ other) per dimension."""
    index = {h: i for i, h in enumerate(hours)}
    # hours before the warehouse's first counted hour are unknown, not zero: zeros there would
    # pass for history and drag the expectation of a young warehouse down
    known = [h for by_hour in counts.values() for h in by_hour if h in index]
    data_start = index[min(known)] if known else len(hours)
    dense: dict[tuple[str, str, str], np.ndarray] = {}
    for key, by_hour in counts.items():
        if key[1] != "all" and key[1] not in cfg.dimensions:
            continue
        arr = np.zeros(len(hours))
        arr[:data_start] = np.nan
        for h, c in by_hour.items():
            i = index.get(h)
            if i is not None:
                arr[i] = c
        dense[key] = arr
    out: dict[tuple[str, str, str], np.ndarray] = {}
    groups: dict[tuple[str, str], list[tuple[str, np.ndarray]]] = defaultdict(list)
    for (event, dimension, value), arr in sorted(dense.items()):
        if dimension == "all":
            out[(event, dimension, value)] = arr
        else:
            groups[(event, dimension)].append((value, arr))
    for (event, dimension), values in groups.items():
        # the top values by volume before D, so D's own numbers cannot reshuffle the series
        ranked = sorted(values, key=lambda va: (-np.nansum(va[1][:day_start]), va[0]))
        for value, arr in ranked[:cfg.top_n]:
            out[(event, dimension, value)] = arr
        if len(ranked) > cfg.top_n:
            out[(event, dimension, OTHER)] = np.sum([a for _, a in ranked[cfg.top_n:]], axis=0)
    return out


def evaluate_day(counts: Counts, day: date, cfg: VolumeMonitorConfig) -> DayVerdict:
    """Score every series on `day` from the counts of the replay window before it."""
    days = hourly.lookback_days(cfg)
    first = datetime.combine(day - timedelta(days=days), time())
    hours = [first + timedelta(hours=i) for i in range((days + 1) * 24)]
    day_start = days * 24
    series = _series_for(counts, cfg, hours, day_start)
    verdict = DayVerdict(day, has_data=any(np.nansum(arr[day_start:]) > 0 for k, arr in series.items()
                                           if k[1] == "all"))
    # totals and dimension values apart: a value is scored by its share of its event's total.
    # A pass is (seasonality, window length in buckets, dimension values or totals).
    Item = tuple[tuple[str, str, str], np.ndarray]
    by_scheme: dict[tuple[str, int, bool], list[Item]] = defaultdict(list)
    for key, arr in series.items():
        ev_cfg = cfg.for_event(key[0])
        if ev_cfg.enabled:
            is_dim = key[1] != "all"
            by_scheme[(ev_cfg.seasonality, 1, is_dim)].append((key, arr))
            if ev_cfg.seasonality == "hour-of-week":  # hours roll up: windows and the day too
                for length in cfg.windows:
                    by_scheme[(ev_cfg.seasonality, length, is_dim)].append((key, arr))
                by_scheme[("weekday", 1, is_dim)].append((key, arr))
    dims_per_event = Counter(k[0] for k in series if k[1] != "all")
    found: dict[tuple[str, str, str], dict[bool, list[hourly.Incident]]] = defaultdict(dict)
    windows: dict[tuple[str, str, str], list[hourly.Window]] = defaultdict(list)
    # (seasonality, window, event) -> flagged buckets of the event's total
    total_flags: dict[tuple[str, int, str], np.ndarray] = {}
    for (seasonality, length, is_dim), items in sorted(by_scheme.items()):  # totals before values
        sch = hourly.scheme(seasonality, cfg.history_weeks)
        values = np.stack([arr for _, arr in items])
        rest = exclude = None
        if is_dim:
            nothing = np.full(len(hours), np.nan)
            rest = np.stack([series.get((k[0], "all", "all"), nothing) for k, _ in items]) - values
        if sch.hourly:
            values = hourly.rolling(values, length)
            rest = None if rest is None else hourly.rolling(rest, length)
            starts, per, d0 = hours, 1, day_start
        else:
            values = _per_day(values)
            rest = None if rest is None else _per_day(rest)
            starts, per, d0 = hours[::24], 24, days
        if is_dim:
            none = np.zeros(values.shape[1], dtype=bool)
            exclude = np.stack([total_flags.get((seasonality, length, k[0]), none) for k, _ in items])
        # an event's dimension values share one false-alert budget, that of one series
        family = [dims_per_event[k[0]] if is_dim else 1 for k, _ in items]
        s = hourly.score(values, sch.lag, sch.n_ref, cfg.min_history,
                         **hourly.settings([cfg.for_event(k[0]) for k, _ in items], family),
                         rest=rest, exclude=exclude)
        if not is_dim:
            total_flags.update({(seasonality, length, k[0]): s.flagged[row]
                                for row, (k, _) in enumerate(items)})
        for row, (key, _) in enumerate(items):
            if sch.hourly:
                windows[key].append(hourly.Window(length, s, row))
            if length > 1:
                continue
            own = cfg.for_event(key[0]).seasonality
            if own == seasonality or key[1] == "all":  # charts: own scheme, totals also per day
                verdict.series.append(SeriesScore(
                    series_key(*key), *key, own, starts[d0:], s.observed[row, d0:],
                    s.expected[row, d0:], s.lower[row, d0:], s.upper[row, d0:],
                    s.flagged[row, d0:], s.scored[row, d0:], sch.hourly))
            if not sch.hourly:
                found[key][False] = hourly.incidents(series_key(*key), day, starts, per, s, row,
                                                     range(d0, values.shape[1]))
    cols = range(day_start, len(hours))
    for key, wins in windows.items():
        found[key][True] = _hour_incidents(series_key(*key), day, hours, wins, cols)
    totals: dict[str, list[hourly.Incident]] = defaultdict(list)
    dims: list[hourly.Incident] = []
    for key, by_kind in found.items():
        (totals[key[0]] if key[1] == "all" else dims).extend(_roll_up(by_kind))
    for incident_list in totals.values():
        verdict.incidents.extend(incident_list)
    for inc in dims:
        event = inc.series.split("[", 1)[0]
        if any(t.overlaps(inc) and _explains(t, inc) for t in totals.get(event, [])) \
                or any(_sibling_explains(o, inc) for o in dims):
            verdict.suppressed += 1
        else:
            verdict.incidents.append(inc)
    return verdict


def _sibling_explains(other: hourly.Incident, part: hourly.Incident) -> bool:
    """Another value of the same dimension moved the other way, further, at the same time: a
    value is scored by its share, so web's share rises when iOS falls to zero (one finding)."""
    def dimension(i: hourly.Incident) -> str:
        return i.series.split("=", 1)[0]
    return (other is not part and dimension(other) == dimension(part)
            and other.direction != part.direction and other.during(part)
            and abs(other.observed - other.expected) > abs(part.observed - part.expected))


def _hour_incidents(name: str, day: date, hours: list[datetime], wins: list[hourly.Window],
                    cols: range) -> list[hourly.Incident]:
    """The union of the day's flagged hours and windows as incidents, in single-hour figures;
    a window's own figures are in the detail (its range is narrower than the hours' summed)."""
    single = next(w for w in wins if w.length == 1)
    s, row = single.scores, single.row
    incs = hourly.incidents(name, day, hours, 1, s, row, cols, hourly.marks(wins, cols))
    out = []
    for inc in incs:
        first = cols.start + (inc.start.hour if inc.start.date() == day else 0)
        best = hourly.strongest_window(wins, first, first + inc.hours - 1)
        if best is not None:
            length, t = best
            w = next(x for x in wins if x.length == length)
            ws, wr = w.scores, w.row
            window_start = hours[t - length + 1]
            last = window_start + timedelta(hours=length) - timedelta(minutes=1)
            inc = replace(inc, detail=(
                f"{length}-hour window {window_start:%H:%M}-{last:%H:%M}: {ws.observed[wr, t]:,.0f} "
                f"vs {ws.expected[wr, t]:,.0f} expected (normal range {ws.lower[wr, t]:,.0f}.."
                f"{ws.upper[wr, t]:,.0f})"))
        if inc.start == hours[cols.start] and s.flagged[row, cols.start - 1]:
            inc = replace(inc, continued=True)
        out.append(inc)
    return out


def _per_day(values: np.ndarray) -> np.ndarray:
    return values.reshape(len(values), -1, 24).sum(axis=2)


def _explains(total: hourly.Incident, part: hourly.Incident) -> bool:
    """The total's change is at least half the dimension value's (a drop of everything, not
    of iOS alone: then the iOS finding would only repeat the total's)."""
    def change(i: hourly.Incident) -> float:
        return abs(i.observed / i.expected - 1) if i.expected else float("inf")
    return change(total) >= 0.5 * change(part)


def _roll_up(by_kind: dict[bool, list[hourly.Incident]]) -> list[hourly.Incident]:
    """One series' incidents of the day: a flagged day total absorbs the flagged hours of the
    same direction (named in its detail); hours of the other direction stay findings."""
    hours, days = by_kind.get(True, []), by_kind.get(False, [])
    out = []
    for d in days:
        same = [h for h in hours if h.direction == d.direction]
        if same:
            d = replace(d, detail="flagged hours " + ", ".join(h.when().split(" ", 1)[1] for h in same))
        out.append(d)
    directions = {d.direction for d in days}
    return out + [h for h in hours if h.direction not in directions]


def describe(inc: hourly.Incident) -> str:
    """The alert line of an incident: what, when, how far off, the worst hour."""
    share = f"{inc.observed / inc.expected:.0%} of expected" if inc.expected else "from nothing"
    text = (f"{inc.series} {inc.when()}: {inc.observed:,.0f} events, expected {inc.expected:,.0f} "
            f"(normal range {inc.lower:,.0f}..{inc.upper:,.0f}): {inc.direction} to {share}")
    if inc.hours > 1 and inc.hours < 24:
        text += (f"; worst hour {inc.worst_start:%H:%M}: {inc.worst_observed:,.0f} vs "
                 f"{inc.worst_expected:,.0f} expected")
    if inc.detail:
        text += f"; {inc.detail}"
    if inc.continued:
        text += "; continues from the previous day"
    return text


def check_key(inc: hourly.Incident) -> str:
    return f"{inc.series}@{inc.start:%H:%M}" if inc.hours < 24 else inc.series


def results(verdict: DayVerdict) -> list[MonitorResult]:
    """Findings (drops error, spikes warn) plus one ok summary line per monitor."""
    out: list[MonitorResult] = []
    if not verdict.has_data:
        return [MonitorResult("hourly_volume", "all", "error",
                              f"no hourly event volume for {verdict.day}: its batch is not in "
                              f"{SOURCE[0]}.{SOURCE[1]}")]
    for inc in verdict.incidents:
        monitor = "hourly_volume" if "[" not in inc.series else "dimension_volume"
        out.append(MonitorResult(monitor, check_key(inc), "error" if inc.direction == "drop" else "warn",
                                 describe(inc), inc.observed, inc.expected))
    for monitor, is_dim in (("hourly_volume", False), ("dimension_volume", True)):
        mine = [s for s in verdict.series
                if (s.dimension != "all") == is_dim and s.hourly == (s.seasonality == "hour-of-week")]
        scored = [s for s in mine if s.scored.any()]
        found = sum(1 for r in out if r.monitor == monitor)
        extra = f", {verdict.suppressed} more already shown by the totals" if is_dim else ""
        out.append(MonitorResult(monitor, "all", "ok",
                                 f"{verdict.day}: {len(mine)} series, {len(scored)} with enough "
                                 f"history and volume, {found} incident(s){extra}"))
    return out


def volume_anomalies(client: SqlClient, day: date, cfg: VolumeMonitorConfig) -> list[MonitorResult]:
    """The hourly and dimension volume findings of `day` (the monitor run's entry point)."""
    if not client.table_exists(*SOURCE):
        return [MonitorResult("hourly_volume", "all", "error",
                              f"{SOURCE[0]}.{SOURCE[1]} does not exist; run dbt build")]
    counts = read_counts(client, day - timedelta(days=hourly.lookback_days(cfg)), day)
    return results(evaluate_day(counts, day, cfg))
