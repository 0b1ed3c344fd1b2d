"""Benchmark of the hourly and dimension volume monitor (issue 18); `bench/monitors.py --hourly`.

Three scenarios, each judged day by day as `pulse monitor --date D` would
(`monitor.volume.evaluate_day`, default settings), once on clean data and once with planted
incidents:

- `synthetic`: generated hourly counts (daily and weekly rhythm, 0.2% growth a day, 5%
  day-to-day variation, three platforms, a constant series that must never alert);
- `simulator`: the real simulator's raw events (a product growing from zero users over the
  period, releases, time zones), counted per UTC hour, platform, app_version and country
  like int_event_volume_hourly (on time = in a batch dated on or before its day);
  incidents are planted into those events;
- `e2e`: the data of tests/test_monitor_e2e.py (42 days, 2000 users, seed 5, its planted
  anomalies and late batch), to see whether the monitor could be on by default.

Found = an incident of the right series (the platform series for a platform-only drop)
overlapping the planted hours on the planted day; a false alert = any incident on clean data.
"""

from __future__ import annotations

import gzip
import json
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from monitor.config import VolumeMonitorConfig
from monitor.hourly import lookback_days
from monitor.volume import Counts, DayVerdict, evaluate_day
from simulator import generate

# (day offset, event, first hour, hours, factor, platform or None)
Plant = tuple[int, str, int, int, float, str | None]

HOURLY_EVENTS = {  # event -> busiest-hour volume of its total (the shape below scales it)
    "page_view": 900.0, "login": 240.0, "task_created": 160.0, "task_completed": 120.0,
    "comment_added": 70.0, "invite_sent": 40.0, "project_created": 30.0,
    "experiment_exposure": 200.0, "perf_timing": 300.0, "signup": 25.0,
}
CONSTANT_EVENT = "heartbeat"  # exactly 60 events every hour: must never alert
PLATFORMS = {"web": 0.55, "ios": 0.3, "android": 0.15}
# a 3-hour drop to 40% in the busiest hours, a 1-hour 5x burst at night, a drop on one
# platform only (the total looks normal)
HOURLY_INJECTED: list[Plant] = [
    (36, "login", 9, 3, 0.4, None), (45, "page_view", 13, 3, 0.4, None),
    (57, "task_completed", 10, 3, 0.4, None), (69, "experiment_exposure", 14, 3, 0.4, None),
    (84, "perf_timing", 11, 3, 0.4, None),
    (40, "page_view", 3, 1, 5.0, None), (52, "login", 2, 1, 5.0, None),
    (63, "perf_timing", 4, 1, 5.0, None), (76, "task_created", 1, 1, 5.0, None),
    (88, "experiment_exposure", 3, 1, 5.0, None),
    (42, "task_created", 8, 10, 0.3, "android"), (54, "page_view", 0, 24, 0.5, "ios"),
    (66, "login", 12, 6, 0.2, "android"), (80, "comment_added", 0, 24, 0.0, "ios"),
]
# On simulator data the hours are picked from the clean data of the week before (the busiest
# three hours, the quietest hour that still expects 20 events): (day, event, kind, factor, platform)
SIM_INJECTED = [
    (38, "task_created", "day", 0.5, None), (47, "page_view", "day", 3.0, None),
    (50, "login", "day", 0.5, None), (58, "task_completed", "day", 0.0, None),
    (64, "comment_added", "day", 0.5, None), (71, "perf_timing", "day", 0.5, None),
    (81, "task_created", "day", 3.0, None), (86, "page_view", "day", 0.4, None),
    (43, "perf_timing", "busy", 0.4, None), (53, "page_view", "busy", 0.4, None),
    (61, "task_completed", "busy", 0.4, None), (75, "login", "busy", 0.4, None),
    (83, "task_created", "busy", 0.4, None),
    (45, "perf_timing", "night", 5.0, None), (56, "page_view", "night", 5.0, None),
    (67, "task_created", "night", 5.0, None), (78, "comment_added", "night", 5.0, None),
    (88, "task_completed", "night", 5.0, None),
    (41, "perf_timing", "busy10", 0.3, "ios"), (55, "page_view", "day", 0.5, "ios"),
    (68, "task_created", "busy10", 0.2, "android"), (80, "perf_timing", "day", 0.0, "android"),
]
E2E_START = date(2026, 9, 7)  # as tests/test_monitor_e2e.py
E2E_ANOMALIES = [(33, "task_created", 0.3), (35, "page_view", 3.0), (37, "signup", 0.0)]
E2E_LATE_DAY = 39


def hourly_profile() -> np.ndarray:
    """Relative volume of each hour of the week (UTC): a working-day curve, quieter weekends."""
    hour = np.arange(24)
    day_curve = 0.12 + 0.88 * np.exp(-0.5 * ((hour - 13.0) / 3.5) ** 2)
    week = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.5, 0.45])
    return (week[:, None] * day_curve[None, :]).ravel()


def _hours(start: date, days: int) -> list[datetime]:
    return [datetime.combine(start, datetime.min.time()) + timedelta(hours=i) for i in range(days * 24)]


def synthetic_series(start: date, days: int, seed: int, injected: list[Plant]) -> Counts:
    """Generated counts per (event, dimension, value) and hour, like int_event_volume_hourly."""
    rng = np.random.default_rng(seed)
    profile = np.tile(hourly_profile(), days // 7 + 1)[:days * 24]
    hours = _hours(start, days)
    counts: Counts = {}
    for event, peak in HOURLY_EVENTS.items():
        # slow growth and day-to-day variation on top of Poisson noise, as product data has
        level = peak * (1 + 0.002 * np.arange(days * 24) / 24)
        level = level * np.repeat(rng.gamma(400, 1 / 400, days), 24)
        per_platform = {}
        for platform, share in PLATFORMS.items():
            lam = level * profile * share
            for d, e, h0, n, factor, plat in injected:
                if e == event and plat in (None, platform):
                    lam[d * 24 + h0:d * 24 + h0 + n] *= factor
            per_platform[platform] = rng.poisson(lam).astype(float)
        total = np.sum(list(per_platform.values()), axis=0)
        counts[(event, "all", "all")] = dict(zip(hours, total, strict=True))
        for platform, arr in per_platform.items():
            counts[(event, "platform", platform)] = dict(zip(hours, arr, strict=True))
    counts[(CONSTANT_EVENT, "all", "all")] = dict.fromkeys(hours, 60.0)
    counts[(CONSTANT_EVENT, "platform", "web")] = dict.fromkeys(hours, 60.0)
    return counts


@dataclass
class RawEvents:
    """The simulator's on-time events as columns (codes into `names`), for planting and counting."""

    start: date
    days: int
    columns: dict[str, np.ndarray]   # event, platform, app_version, country -> codes
    names: dict[str, list[str]]
    hour: np.ndarray                 # hour index from `start`

    def counts(self, keep: np.ndarray | None = None) -> Counts:
        """Counts per (event, dimension, value) and hour of the rows in `keep` (repeats allowed)."""
        rows = np.arange(len(self.hour)) if keep is None else keep
        hours = _hours(self.start, self.days)
        ev, hr = self.columns["event"][rows], self.hour[rows]
        out: Counts = {}
        for dimension in ("all", "platform", "app_version", "country"):
            vals = np.zeros(len(rows), dtype=int) if dimension == "all" else self.columns[dimension][rows]
            n_vals = 1 if dimension == "all" else len(self.names[dimension])
            key = (ev * n_vals + vals) * (self.days * 24) + hr
            uniq, cnt = np.unique(key, return_counts=True)
            for k, c in zip(uniq.tolist(), cnt.tolist(), strict=True):
                series, h = divmod(k, self.days * 24)
                e, v = divmod(series, n_vals)
                value = "all" if dimension == "all" else self.names[dimension][v]
                out.setdefault((self.names["event"][e], dimension, value), {})[hours[h]] = float(c)
        return out


def read_raw(raw: Path, start: date, days: int) -> RawEvents:
    """Parse the simulator's batches: valid JSON with an event name, first copy of an event_id,
    arrived in a batch dated on or before its own UTC day (the warehouse's on-time rule)."""
    seen: set[str] = set()
    codes: dict[str, dict[str, int]] = defaultdict(dict)
    cols: dict[str, list[int]] = defaultdict(list)
    hours: list[int] = []
    origin = datetime.combine(start, datetime.min.time(), timezone.utc)
    for folder in sorted(p for p in raw.iterdir() if p.is_dir()):
        batch = date.fromisoformat(folder.name)
        for path in sorted(folder.glob("*.jsonl.gz")):
            with gzip.open(path) as handle:
                lines = handle.read().splitlines()
            for line in lines:
                try:
                    rec = json.loads(line)
                    at = datetime.fromisoformat(rec["ts"].replace("Z", "+00:00")).astimezone(timezone.utc)
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue
                if not isinstance(rec.get("event"), str) or rec.get("event_id") in seen:
                    continue
                seen.add(rec.get("event_id"))
                h = int((at - origin).total_seconds() // 3600)
                if not 0 <= h < days * 24 or batch > start + timedelta(days=h // 24):
                    continue
                hours.append(h)
                for name in ("event", "platform", "app_version", "country"):
                    value = rec.get(name) if name == "event" else (rec.get(name) or "(none)")
                    cols[name].append(codes[name].setdefault(str(value), len(codes[name])))
    names = {k: list(v) for k, v in codes.items()}
    return RawEvents(start, days, {k: np.array(v) for k, v in cols.items()}, names, np.array(hours))


def plant_rows(ev: RawEvents, plants: list[Plant], seed: int) -> np.ndarray:
    """Row indices of the events with the planted incidents: drops thin out, bursts repeat rows."""
    rng = np.random.default_rng(seed)
    factor = np.ones(len(ev.hour))
    for d, event, h0, n, f, platform in plants:
        hit = (ev.columns["event"] == ev.names["event"].index(event)) & \
              (ev.hour >= d * 24 + h0) & (ev.hour < d * 24 + h0 + n)
        if platform is not None:
            hit &= ev.columns["platform"] == ev.names["platform"].index(platform)
        factor[hit] *= f
    copies = np.floor(factor).astype(int) + (rng.random(len(factor)) < factor - np.floor(factor))
    return np.repeat(np.arange(len(factor)), copies)


def sim_plants(clean: Counts, start: date) -> list[Plant]:
    """SIM_INJECTED with hours picked from the same weekday one week earlier (clean data)."""
    out: list[Plant] = []
    for d, event, kind, f, platform in SIM_INJECTED:
        ref = clean.get((event, "all", "all"), {})
        base = datetime.combine(start + timedelta(days=d - 7), datetime.min.time())
        week_before = np.array([ref.get(base + timedelta(hours=h), 0.0) for h in range(24)])
        if kind == "day":
            out.append((d, event, 0, 24, f, platform))
        elif kind in ("busy", "busy10"):
            n = 3 if kind == "busy" else 10
            h0 = int(np.argmax([week_before[h:h + n].sum() for h in range(24 - n + 1)]))
            out.append((d, event, h0, n, f, platform))
        else:  # night: the quietest hour that still expects enough events to be scored
            candidates = [h for h in range(24) if week_before[h] >= 20] or [int(np.argmax(week_before))]
            out.append((d, event, min(candidates, key=lambda h: week_before[h]), 1, f, platform))
    return out


@dataclass
class Outcome:
    name: str
    recall: float
    by_kind: dict[str, list[bool]]
    false_per_30: dict[str, float]
    constant_alerts: int | None
    seconds: float

    @property
    def worst(self) -> float:
        return max(self.false_per_30.values(), default=0.0)


def _kind(p: Plant) -> str:
    if p[3] == 24 and p[5] is None:
        return "whole day"
    if p[5]:
        return "platform only"
    return "1-hour burst" if p[4] > 1 else "3-hour drop"


def judge(name: str, start: date, days: int, clean: Counts, dirty: Counts, planted: list[Plant],
          cfg: VolumeMonitorConfig, first_day: int, events: list[str],
          constant: str | None = None, expected: set[tuple[date, str]] = frozenset()) -> Outcome:
    """Replay both data sets from `first_day` on; print and return recall and false alerts."""
    started = time.perf_counter()
    scored = [start + timedelta(days=d) for d in range(first_day, days)]
    clean_v = {d: evaluate_day(clean, d, cfg) for d in scored}
    dirty_v = {d: evaluate_day(dirty, d, cfg) for d in scored} if planted else {}
    seconds = time.perf_counter() - started
    found = [p for p in planted if _hit(p, start, dirty_v)]
    false_by_event = {e: [i for v in clean_v.values() for i in v.incidents
                          if i.series.split("[")[0] == e and (i.day, e) not in expected
                          and (i.day, "*") not in expected] for e in events}
    by_kind: dict[str, list[bool]] = {}
    for p in planted:
        by_kind.setdefault(_kind(p), []).append(p in found)
    out = Outcome(name, len(found) / len(planted) if planted else float("nan"), by_kind,
                  {e: len(v) * 30 / len(scored) for e, v in false_by_event.items()},
                  len(false_by_event[constant]) if constant else None, seconds)
    print(f"[{name}] {days} days from {start}, {len(events)} events (+ dimensions); "
          f"{len(scored)} scored days x {2 if planted else 1} data sets in {seconds:.0f} s "
          f"(replay window {lookback_days(cfg)} days)")
    if planted:
        print(f"  recall at the right hour: {out.recall:.0%} ({len(found)}/{len(planted)}; target >= 90%): "
              + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in by_kind.items()))
        for p in planted:
            if p not in found:
                print(f"    MISSED {start + timedelta(days=p[0])} {p[1]} {p[2]:02d}:00+{p[3]}h "
                      f"x{p[4]} {p[5] or ''}")
    print(f"  clean data: false incidents per 30 days, worst event {out.worst:.2f} (target <= 1); "
          + ", ".join(f"{e} {out.false_per_30[e]:.2f}" for e in events))
    for v in false_by_event.values():
        for i in v:
            print(f"    false alert on clean data: {i.series} {i.when()} {i.direction} "
                  f"{i.observed:.0f} vs {i.expected:.0f}")
    if constant:
        print(f"  constant series ({constant}): {out.constant_alerts} alert(s) (target 0)")
    if planted:
        keys = {(start + timedelta(days=p[0]), p[1]) for p in planted}
        extra = [i for v in dirty_v.values() for i in v.incidents
                 if (i.day, i.series.split("[")[0]) not in keys]
        print(f"  injected data: {len(extra)} incident(s) outside the planted event-days")
    return out


def _hit(p: Plant, start: date, verdicts: dict[date, DayVerdict]) -> bool:
    d, event, h0, n, _, platform = p
    day = start + timedelta(days=d)
    want = event if platform is None else f"{event}[platform={platform}]"
    lo = datetime.combine(day, datetime.min.time()) + timedelta(hours=h0)
    hi = lo + timedelta(hours=n)
    return any(i.series == want and i.start < hi and lo < i.end for i in verdicts[day].incidents)


def synthetic(start: date, days: int, seed: int, whole_day: list[tuple[int, str, float]],
              cfg: VolumeMonitorConfig) -> Outcome:
    planted = [p for p in [(d, e, 0, 24, f, None) for d, e, f in whole_day if e in HOURLY_EVENTS]
               + HOURLY_INJECTED if p[0] < days]
    return judge(f"synthetic seed {seed}", start, days, synthetic_series(start, days, seed, []),
                 synthetic_series(start, days, seed, planted), planted, cfg, 7 * cfg.min_history,
                 [*HOURLY_EVENTS, CONSTANT_EVENT], CONSTANT_EVENT)


def _main_events(ev: RawEvents, minimum_per_day: float) -> list[str]:
    n = np.bincount(ev.columns["event"], minlength=len(ev.names["event"])) / ev.days
    return [e for i, e in enumerate(ev.names["event"]) if n[i] >= minimum_per_day]


def simulator_run(start: date, days: int, users: int, seed: int, cfg: VolumeMonitorConfig) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="pulse-bench-hourly-") as tmp:
        generate(Path(tmp), start, days, users, seed=seed, progress=False)
        ev = read_raw(Path(tmp), start, days)
    clean = ev.counts()
    planted = [p for p in sim_plants(clean, start) if p[0] < days]
    dirty = ev.counts(plant_rows(ev, planted, seed))
    return judge(f"simulator {users} users seed {seed}", start, days, clean, dirty, planted, cfg,
                 7 * cfg.min_history, _main_events(ev, 10))


def e2e_run(cfg: VolumeMonitorConfig) -> Outcome:
    """The end-to-end test's data: alerts outside its planted days and late batch are spurious."""
    days = 42
    anomalies: list[dict] = [{"date": str(E2E_START + timedelta(days=d)), "event": e, "factor": f}
                             for d, e, f in E2E_ANOMALIES]
    anomalies.append({"date": str(E2E_START + timedelta(days=E2E_LATE_DAY)), "late_batch": True})
    with tempfile.TemporaryDirectory(prefix="pulse-bench-hourly-") as tmp:
        generate(Path(tmp), E2E_START, days, 2000, seed=5, progress=False, anomalies=anomalies)
        ev = read_raw(Path(tmp), E2E_START, days)
    expected = {(E2E_START + timedelta(days=d), e) for d, e, _ in E2E_ANOMALIES}
    expected.add((E2E_START + timedelta(days=E2E_LATE_DAY), "*"))  # the late batch: drops
    print("e2e data: planted " + ", ".join(f"{E2E_START + timedelta(days=d)} {e} x{f}"
                                           for d, e, f in E2E_ANOMALIES)
          + f", late batch {E2E_START + timedelta(days=E2E_LATE_DAY)}; any other incident is spurious")
    counts = ev.counts()
    out = judge("e2e data (tests/test_monitor_e2e.py)", E2E_START, days, counts, {}, [], cfg,
                7 * cfg.min_history, _main_events(ev, 10), expected=expected)
    for d, e, _ in E2E_ANOMALIES:
        day = E2E_START + timedelta(days=d)
        hits = [i for i in evaluate_day(counts, day, cfg).incidents if i.series == e]
        print(f"  planted {day} {e}: " + ("; ".join(f"{i.when()} {i.direction} {i.observed:.0f} vs "
                                                   f"{i.expected:.0f}" for i in hits) or "MISSED"))
    late = E2E_START + timedelta(days=E2E_LATE_DAY)
    drops = sorted({i.series for i in evaluate_day(counts, late, cfg).incidents
                    if i.direction == "drop" and "[" not in i.series})
    print(f"  late batch {late}: drops of {len(drops)} event totals ({', '.join(drops)})")
    return out
