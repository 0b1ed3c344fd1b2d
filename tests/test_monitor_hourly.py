"""Hourly and dimension volume monitor on small generated series (no warehouse): window
edges, the minimum-volume rule, incident exclusion, roll-up into one finding, dimensions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from monitor.config import EventVolumeConfig, VolumeMonitorConfig, parse_config
from monitor.hourly import rolling, score
from monitor.run import alerts_for
from monitor.volume import evaluate_day, results

START = date(2026, 3, 2)  # a Monday
DAY_CURVE = 0.15 + 0.85 * np.exp(-0.5 * ((np.arange(24) - 13.0) / 3.5) ** 2)
WEEK = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.5, 0.45])


def hour(d: int, h: int) -> datetime:
    return datetime.combine(START + timedelta(days=d), datetime.min.time()) + timedelta(hours=h)


def series(days: int, peak: float, seed: int, plant=lambda d, h, lam: lam) -> dict[datetime, float]:
    """Poisson counts with a daily and a weekly pattern; `plant` rewrites the rate of an hour."""
    rng = np.random.default_rng(seed)
    out = {}
    for d in range(days):
        for h in range(24):
            lam = plant(d, h, peak * WEEK[d % 7] * DAY_CURVE[h])
            out[hour(d, h)] = float(rng.poisson(lam))
    return out


def test_a_constant_series_is_scored_and_never_flagged():
    values = np.full((1, 24 * 7 * 8), 50.0)
    s = score(values, 168, 6, 3, 5.0, 10.0, 0.3)
    assert s.scored[0, 168 * 3:].all() and not s.scored[0, :168 * 3].any()
    assert not s.flagged.any()
    counts = {("heartbeat", "all", "all"): {hour(d, h): 60.0 for d in range(56) for h in range(24)}}
    verdict = evaluate_day(counts, START + timedelta(days=55), VolumeMonitorConfig())
    assert verdict.incidents == [] and verdict.has_data


def test_minimum_volume_rule_is_stated_in_expected_events_per_bucket():
    # an hour that always has 12 events, then none: flagged only when 12 >= min_expected_events
    values = np.full((2, 168 * 5), 12.0)
    values[:, 168 * 4 + 10] = 0.0
    s = score(values, 168, 6, 3, np.array([1.0, 1.0]), np.array([12.0, 12.5]), 0.3)
    assert s.flagged[0, 168 * 4 + 10] and s.scored[0, 168 * 4 + 10]
    assert not s.scored[1, 168 * 4 + 10] and not s.flagged[1].any()


def test_the_first_verdict_needs_min_history_weeks_of_the_same_hour():
    counts = {("login", "all", "all"): series(22, 200.0, 1)}
    cfg = VolumeMonitorConfig()
    too_early = evaluate_day(counts, START + timedelta(days=20), cfg)
    first = evaluate_day(counts, START + timedelta(days=21), cfg)
    (early_total,) = [s for s in too_early.series if s.key == "login" and s.hourly]
    (first_total,) = [s for s in first.series if s.key == "login" and s.hourly]
    assert np.isnan(early_total.expected).all()
    assert not np.isnan(first_total.expected).any()  # every hour has its 3 same-hour references


def test_a_three_hour_drop_is_one_finding_naming_the_hours_and_the_day_after_is_not_looked_at():
    day = 35

    def plant(d, h, lam):
        return lam * 0.4 if d == day and 9 <= h < 12 else lam * 6 if d == day + 1 else lam

    counts = {("login", "all", "all"): series(day + 2, 300.0, 2, plant)}
    cfg = VolumeMonitorConfig()
    verdict = evaluate_day(counts, START + timedelta(days=day), cfg)
    (incident,) = verdict.incidents
    assert (incident.start, incident.hours, incident.direction) == (hour(day, 9), 3, "drop")
    found = results(verdict)
    (finding,) = [r for r in found if r.status != "ok"]
    assert finding.check_key == "login@09:00" and finding.status == "error"
    assert "09:00-11:59 UTC" in finding.message and "worst hour" in finding.message
    assert len(alerts_for(START + timedelta(days=day), found)) == 1
    # the day's verdict is the same without the (wild) next day in the data
    cut = {k: {t: c for t, c in v.items() if t < hour(day + 1, 0)} for k, v in counts.items()}
    assert evaluate_day(cut, START + timedelta(days=day), cfg).incidents == verdict.incidents


def test_an_incident_across_midnight_is_named_on_both_days_and_continues():
    def plant(d, h, lam):
        return lam * 8 if (d == 35 and h == 23) or (d == 36 and h == 0) else lam

    counts = {("page_view", "all", "all"): series(37, 400.0, 3, plant)}
    cfg = VolumeMonitorConfig()
    first = evaluate_day(counts, START + timedelta(days=35), cfg).incidents
    second = evaluate_day(counts, START + timedelta(days=36), cfg).incidents
    assert [(i.start, i.direction, i.continued) for i in first] == [(hour(35, 23), "spike", False)]
    assert [(i.start, i.direction, i.continued) for i in second] == [(hour(36, 0), "spike", True)]


def test_flagged_hours_are_left_out_of_later_references():
    # the same hour spikes four weeks running: the fourth is still a spike, because the
    # earlier three never trained the expectation (min_history 2: two clean weeks remain)
    values = np.full((1, 168 * 10), 100.0)
    for week in range(6, 10):
        values[0, 168 * week + 40] = 400.0
    s = score(values, 168, 6, 2, 5.0, 10.0, 0.3)
    assert [bool(s.flagged[0, 168 * w + 40]) for w in range(6, 10)] == [True] * 4
    kept = score(values, 168, 6, 7, 5.0, 10.0, 0.3)  # more history needed than is clean
    assert not kept.scored[0, 168 * 9 + 40]


def _platforms(days: int, plant_platform: str | None, factor: float, hours: range, day: int):
    counts = {}
    shares = {"web": 0.55, "ios": 0.3, "android": 0.15}
    total: dict[datetime, float] = {}
    for i, (platform, share) in enumerate(shares.items()):
        def plant(d, h, lam, platform=platform):
            hit = d == day and h in hours and plant_platform in (None, platform)
            return lam * factor if hit else lam

        s = series(days, 600.0 * share, 10 + i, plant)
        counts[("login", "platform", platform)] = s
        for t, c in s.items():
            total[t] = total.get(t, 0.0) + c
    counts[("login", "all", "all")] = total
    return counts


def test_a_drop_on_one_platform_is_a_dimension_finding():
    counts = _platforms(37, "ios", 0.3, range(8, 18), 35)
    found = results(evaluate_day(counts, START + timedelta(days=35), VolumeMonitorConfig()))
    bad = [(r.monitor, r.check_key.split("@")[0]) for r in found if r.status != "ok"]
    assert ("dimension_volume", "login[platform=ios]") in bad
    assert ("hourly_volume", "login") not in bad


def test_a_drop_of_the_total_is_not_repeated_per_platform():
    counts = _platforms(37, None, 0.3, range(8, 18), 35)
    verdict = evaluate_day(counts, START + timedelta(days=35), VolumeMonitorConfig())
    assert [i.series for i in verdict.incidents] == ["login"]  # the platforms' shares held


def test_a_platform_that_falls_much_further_than_the_total_is_named():
    counts = _platforms(37, "ios", 0.0, range(24), 35)  # ios is 30% of the total
    verdict = evaluate_day(counts, START + timedelta(days=35), VolumeMonitorConfig())
    series = {i.series for i in verdict.incidents}
    assert {"login", "login[platform=ios]"} <= series
    assert not any("web" in s or "android" in s for s in series)


def test_top_values_plus_other():
    counts = {("signup", "all", "all"): series(30, 100.0, 4)}
    for i in range(7):
        counts[("signup", "country", f"C{i}")] = series(30, 100.0 / (i + 1), 20 + i)
    verdict = evaluate_day(counts, START + timedelta(days=29), replace(VolumeMonitorConfig(), top_n=3))
    keys = {s.key for s in verdict.series}
    assert keys == {"signup", "signup[country=C0]", "signup[country=C1]", "signup[country=C2]",
                    "signup[country=other]"}


def test_weekday_seasonality_scores_the_day_and_names_the_whole_day():
    def plant(d, h, lam):
        return lam * 0.3 if d == 35 else lam

    counts = {("invite_sent", "all", "all"): series(36, 20.0, 5, plant)}
    cfg = parse_config({"volume": {"events": {"invite_sent": {"seasonality": "weekday"}}}}).volume
    verdict = evaluate_day(counts, START + timedelta(days=35), cfg)
    (incident,) = verdict.incidents
    assert incident.hours == 24 and "whole day" in incident.when()
    (s,) = verdict.series
    assert s.seasonality == "weekday" and len(s.bucket_starts) == 1


def test_config_validation_names_the_bad_value():
    cfg = parse_config({"volume": {"sensitivity": 6, "events": {"signup": {"min_expected_events": 3}}}})
    assert cfg.volume.for_event("login") == EventVolumeConfig(sensitivity=6)
    assert cfg.volume.for_event("signup").min_expected_events == 3
    assert cfg.volume.for_event("signup").sensitivity == 6
    with pytest.raises(ValueError, match="'hourly'"):
        parse_config({"volume": {"events": {"login": {"seasonality": "hourly"}}}})
    with pytest.raises(ValueError, match="device"):
        parse_config({"volume": {"dimensions": ["device"]}})


def test_fast_growth_raises_nothing_but_a_platform_halving_still_alerts():
    # +40% a week on every platform (a young product): the shares hold, the trend is carried
    days = 43
    grow = {p: (lambda d, h, lam: lam * 1.05 ** d) for p in ("web", "ios", "android")}
    counts: dict = {("login", "all", "all"): {}}
    for i, (platform, share) in enumerate({"web": 0.55, "ios": 0.3, "android": 0.15}.items()):
        def plant(d, h, lam, platform=platform):
            lam = grow[platform](d, h, lam)
            return lam * 0.5 if platform == "ios" and d == days - 1 and 8 <= h < 20 else lam

        counts[("login", "platform", platform)] = s = series(days, 600.0 * share, 30 + i, plant)
        for t, c in s.items():
            counts[("login", "all", "all")][t] = counts[("login", "all", "all")].get(t, 0.0) + c
    cfg = VolumeMonitorConfig()
    quiet = [i for d in range(28, days - 1)
             for i in evaluate_day(counts, START + timedelta(days=d), cfg).incidents]
    assert quiet == []
    halved = evaluate_day(counts, START + timedelta(days=days - 1), cfg).incidents
    assert [(i.series, i.direction) for i in halved] == [("login[platform=ios]", "drop")]


def test_a_spike_of_one_platform_does_not_make_the_others_drop():
    counts = _platforms(37, "web", 1.6, range(9, 15), 35)
    verdict = evaluate_day(counts, START + timedelta(days=35), VolumeMonitorConfig())
    assert not any(i.direction == "drop" for i in verdict.incidents)


def test_a_young_product_ramping_from_zero_still_shows_a_saturday_drop():
    # volume grows linearly from nothing (week 2 is twice week 1, ...): the first weeks are
    # left out of the references, the growth is carried forward, and the Saturday drop shows
    def plant(d, h, lam):
        return lam * (d + 1) / 6 * (0.3 if d == 33 else 1.0)

    counts = {("task_created", "all", "all"): series(35, 60.0, 40, plant)}
    cfg = VolumeMonitorConfig()
    assert [i.series for d in range(28, 33)
            for i in evaluate_day(counts, START + timedelta(days=d), cfg).incidents] == []
    (drop,) = evaluate_day(counts, START + timedelta(days=33), cfg).incidents
    assert (drop.hours, drop.direction) == (24, "drop") and (START + timedelta(days=33)).weekday() == 5


def test_rolling_windows_need_every_hour_of_the_window():
    values = np.array([[np.nan, 1.0, 2.0, 3.0, 4.0]])
    assert np.array_equal(rolling(values, 3), [[np.nan, np.nan, np.nan, 6.0, 9.0]], equal_nan=True)
    assert np.array_equal(rolling(values, 1), values, equal_nan=True)


def _quiet_drop(factor: float, hours: range, day: int = 35, seed: int = 50):
    def plant(d, h, lam):
        return lam * factor if d == day and h in hours else lam

    return {("login", "all", "all"): series(day + 1, 100.0, seed, plant)}


def test_a_three_hour_drop_that_no_single_hour_shows_is_found_by_its_window():
    counts = _quiet_drop(0.55, range(12, 15))
    day = START + timedelta(days=35)
    verdict = evaluate_day(counts, day, VolumeMonitorConfig())
    (hours,) = [s for s in verdict.series if s.key == "login" and s.hourly]
    assert not hours.flagged.any()  # no single hour is out of its range
    (incident,) = verdict.incidents
    assert (incident.start, incident.hours, incident.direction) == (hour(35, 12), 3, "drop")
    assert "3-hour window 12:00-14:59" in incident.detail
    assert evaluate_day(counts, day, VolumeMonitorConfig(windows=())).incidents == []


def test_a_window_is_trimmed_to_the_hours_that_moved():
    # the 6-hour windows around a 3-hour drop are flagged too, but name only its 3 hours
    counts = _quiet_drop(0.2, range(12, 15))
    (incident,) = evaluate_day(counts, START + timedelta(days=35), VolumeMonitorConfig()).incidents
    assert (incident.start, incident.hours) == (hour(35, 12), 3)


def test_a_window_never_reaches_into_the_day_before():
    # a drop late on day 34: day 34 names it; day 35's early windows (which would cover those
    # hours) are not windows of day 35
    def plant(d, h, lam):
        return lam * 0.2 if d == 34 and h >= 21 else lam

    counts = {("page_view", "all", "all"): series(36, 300.0, 6, plant)}
    cfg = VolumeMonitorConfig()
    before = evaluate_day(counts, START + timedelta(days=34), cfg).incidents
    assert [(i.start, i.end, i.direction) for i in before] == [(hour(34, 21), hour(35, 0), "drop")]
    assert evaluate_day(counts, START + timedelta(days=35), cfg).incidents == []


def test_the_minimum_volume_rule_applies_to_each_window_as_a_whole():
    # 8 events an hour: a single hour (8 < 10) is never scored, a 3-hour window (24) is
    values = np.full((2, 168 * 5), 8.0)
    values[:, 168 * 4 + 10:168 * 4 + 13] = 0.0
    windows = rolling(values, 3)
    s = score(windows, 168, 6, 3, 5.0, np.array([24.0, 24.5]), 0.3)
    hours = score(values, 168, 6, 3, 5.0, 10.0, 0.3)
    assert not hours.scored.any()
    assert s.scored[0, 168 * 4 + 12] and s.flagged[0, 168 * 4 + 12]
    assert not s.scored[1].any() and not s.flagged[1].any()
    counts = {("login", "all", "all"): {hour(d, h): 0.0 if d == 28 and 10 <= h < 13 else 8.0
                                        for d in range(29) for h in range(24)}}
    cfg = VolumeMonitorConfig()
    (incident,) = evaluate_day(counts, START + timedelta(days=28), cfg).incidents
    assert (incident.start, incident.hours, incident.direction) == (hour(28, 10), 3, "drop")
    strict = replace(cfg, defaults=EventVolumeConfig(min_expected_events=24.5))
    assert evaluate_day(counts, START + timedelta(days=28), strict).incidents == []


def test_window_lengths_are_validated():
    assert parse_config({"volume": {"windows": [6, 3, 3]}}).volume.windows == (3, 6)
    assert parse_config({"volume": {"windows": []}}).volume.windows == ()
    with pytest.raises(ValueError, match="windows"):
        parse_config({"volume": {"windows": [24]}})


def test_the_last_day_is_judged_with_the_noise_of_its_week_not_its_own_few_references():
    """Day D is the replay's last block, alone: its noise model is pooled over the week ending
    with it. Four same weekdays that happen to agree (50 each) do not make 130 an anomaly
    when the other days of those weeks swing between 20 and 120."""
    rng = np.random.default_rng(7)
    values = rng.integers(20, 121, size=7 * 4 + 1).astype(float)
    values[0::7] = 50.0       # D's weekday in the four weeks before
    values[-1] = 130.0        # D: the last block (days 21..27 are the block before)
    s = score(values[None], 7, 6, 3, 5.0, 10.0, 0.3)
    assert s.expected[0, -1] == pytest.approx(50, rel=0.1) and s.scored[0, -1]
    assert not s.flagged[0, -1] and s.upper[0, -1] > 130
    values[-1] = 400.0        # a real spike still is one
    assert score(values[None], 7, 6, 3, 5.0, 10.0, 0.3).flagged[0, -1]


def test_dimension_values_share_one_series_false_alert_budget():
    from statistics import NormalDist

    from monitor.hourly import family_sensitivity

    tail = 1 - NormalDist().cdf(5.0)
    assert family_sensitivity(5.0, 1) == 5.0
    for m in (2, 10, 100):
        z = family_sensitivity(5.0, m)
        assert m * (1 - NormalDist().cdf(z)) == pytest.approx(tail, rel=1e-6)
    assert 5.0 < family_sensitivity(5.0, 10) < family_sensitivity(5.0, 100) < 6.0
    assert family_sensitivity(40.0, 10) == 40.0  # beyond double precision: unchanged


def test_an_hourly_finding_of_a_day_the_daily_monitor_flagged_is_one_alert():
    from monitor.results import MonitorResult
    from monitor.run import merge_volume_findings

    day = START + timedelta(days=35)
    found = [
        MonitorResult("volume_anomaly", "task_created", "error", "task_created on D: 99 events", 99, 462),
        MonitorResult("volume_anomaly", "all", "ok", "14 event names"),
        MonitorResult("hourly_volume", "task_created", "error",
                      "task_created D (whole day): 99 events; flagged hours 09:00-11:59 UTC", 99, 460),
        MonitorResult("hourly_volume", "login@03:00", "warn", "login D 03:00-03:59 UTC: spike"),
        MonitorResult("hourly_volume", "task_created@22:00", "warn", "task_created 22:00: spike"),
        MonitorResult("hourly_volume", "all", "ok", "D: 14 series, 3 incident(s)"),
        MonitorResult("dimension_volume", "all", "ok", "D: 90 series, 0 incident(s)"),
    ]
    merged = merge_volume_findings(found)
    by = {(r.monitor, r.check_key): r for r in merged}
    assert ("hourly_volume", "task_created") not in by  # the same drop: kept by the daily finding
    daily = by[("volume_anomaly", "task_created")]
    assert daily.status == "error" and "flagged hours 09:00-11:59 UTC" in daily.message
    assert by[("hourly_volume", "task_created@22:00")].status == "warn"  # a spike: another incident
    assert by[("hourly_volume", "login@03:00")].status == "warn"       # no daily finding of login
    assert "1 more shown by volume_anomaly" in by[("hourly_volume", "all")].message
    assert len(merged) == len(found) - 1
    subjects = sorted(a.subject for a in alerts_for(day, merged))
    assert subjects == [f"hourly_volume: 2 finding(s) for {day} (login@03:00, task_created@22:00)",
                        f"volume_anomaly: 1 finding(s) for {day} (task_created)"]
    assert merge_volume_findings(found[1:]) == found[1:]  # no daily finding: nothing merges
