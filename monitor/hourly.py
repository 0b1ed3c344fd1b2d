"""Hourly and dimension volume scoring: robust seasonal baselines, rolled up into incidents.

Pure numpy, no warehouse: `monitor.volume` reads the counts and turns incidents into
results, `monitor.backtest` replays it over history, bench/monitors.py scores generated series.

Why the median over the same hour of the same weekday: product traffic repeats weekly
(Monday 09:00 looks like last Monday 09:00) and the median ignores an odd week. Each week is
rescaled to the latest one and the latest change carried forward, so growth is no anomaly;
a dimension value is expected from its share of what the rest of its event did, so growth
and the event's own rhythm cancel out. The noise is pooled over the week's hours and never
below Poisson, so a constant series or a quiet hour does not make a zero-width range.

Replay: the verdict of day D comes from scoring the `lookback` days before D in order, so
buckets flagged earlier are left out of the references of later ones (an incident does not
train the baseline). The replay window is fixed relative to D, so `pulse monitor --date D`
and a backtest give D the same verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import NormalDist

import numpy as np

from monitor.config import EventVolumeConfig, VolumeMonitorConfig

NONE_REFERENCE_DAYS = 14  # seasonality none: the previous 14 days
MAX_LEVEL_RATIO = 2.0     # reference weeks at more than 2x or under 1/2 the latest level are left out


@dataclass(frozen=True)
class Scheme:
    """Bucket size and reference set of a seasonality choice."""

    hourly: bool   # buckets are UTC hours (else UTC days)
    lag: int       # buckets between a bucket and its reference points
    n_ref: int     # reference points (before exclusion)


def scheme(seasonality: str, history_weeks: int) -> Scheme:
    if seasonality == "hour-of-week":
        return Scheme(True, 168, history_weeks)
    if seasonality == "weekday":
        return Scheme(False, 7, history_weeks)
    if seasonality == "none":
        return Scheme(False, 1, NONE_REFERENCE_DAYS)
    raise ValueError(f"unknown seasonality {seasonality!r}")


def lookback_days(cfg: VolumeMonitorConfig) -> int:
    """Days of history before D that the replay for D reads (enough to train its references)."""
    return max(2 * 7 * cfg.history_weeks, 2 * NONE_REFERENCE_DAYS)


@dataclass
class Scores:
    """Per bucket of a stacked set of series (rows = series, columns = buckets)."""

    observed: np.ndarray
    expected: np.ndarray   # nan where the history is too short (also set below the minimum volume)
    lower: np.ndarray
    upper: np.ndarray
    flagged: np.ndarray    # bool
    scored: np.ndarray     # bool: enough history and enough volume


def score(values: np.ndarray, lag: int, n_ref: int, min_history: int,
          sensitivity: np.ndarray | float, min_expected: np.ndarray | float,
          min_relative_change: np.ndarray | float, first: int = 0,
          rest: np.ndarray | None = None, exclude: np.ndarray | None = None) -> Scores:
    """Score every bucket from `first` on against its `n_ref` references `lag` buckets apart.

    `values` is (series, buckets); the per-series settings broadcast as (series,) arrays.
    Buckets are processed in blocks of `lag`, so every reference of a block lies in an
    earlier block whose flags are already known and excluded.

    `rest` (same shape; for dimension values: the event's total minus the value) scores a
    value by its share: each reference is scaled by rest now / rest then, so growth, a busy
    week and the seasonality of the whole event cancel out. A bucket is then flagged only
    when the share is off *and* the value itself moved the same way out of its own range
    (weekly-rescaled history, at half the sensitivity): a spike of web alone moves the share
    of iOS, not iOS itself.
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    n_series, n = values.shape
    col = np.ones((n_series, 1))
    sens = np.asarray(sensitivity, dtype=float).reshape(-1, 1) * col
    min_exp = np.asarray(min_expected, dtype=float).reshape(-1, 1) * col
    min_rel = np.asarray(min_relative_change, dtype=float).reshape(-1, 1) * col
    training = values.copy()
    filled = values.copy()   # flagged buckets replaced by their expectation: the level of a week
    expected = np.full(values.shape, np.nan)
    lower = np.full(values.shape, np.nan)
    upper = np.full(values.shape, np.nan)
    flagged = np.zeros(values.shape, dtype=bool)
    scored = np.zeros(values.shape, dtype=bool)
    # the reference points of the block before, for the noise model of a short last block
    before: dict[str, np.ndarray] = {}
    for start in range(max(first, lag * min_history), n, lag):
        idx = np.arange(start, min(start + lag, n))
        raw = _stack(training, idx, lag, n_ref)
        refs = raw * _level_ratios(filled, start, lag, n_ref) * _trend(filled, start, lag) \
            if lag > 1 else raw
        obs = values[:, idx]
        # a block shorter than a period (the replay's last: day D alone, or D's 24 hours) pools
        # its noise model over the period ending with it, each earlier bucket against its own
        # references, as a full block does: D's own few reference points cannot measure it
        short = len(idx) < lag and bool(before)
        context = {k: v[:, :, len(idx) - lag:] for k, v in before.items()} if short else {}
        med, lo, hi, ok = _band(refs, sens, min_exp, min_rel, min_history, context=context.get("refs"))
        out = ok & ((obs < lo) | (obs > hi))
        before = {"refs": refs}
        if rest is not None:
            # the value itself moved the same way, out of its own range at half the sensitivity
            own, own_lo, own_hi, _ = _band(refs, sens / 2, min_exp, min_rel, min_history,
                                           context=context.get("refs"))
            moved = _enough(refs, min_history) & ((obs < own_lo) | (obs > own_hi))
            now = rest[:, idx]
            with np.errstate(all="ignore"):
                ratio = now[None] / _stack(rest, idx, lag, n_ref)
                shared = np.where(np.isfinite(ratio), raw * ratio, np.nan)
            # the expectation scales with rest now: its own Poisson noise widens the range
            med, lo, hi, ok = _band(shared, sens, min_exp, min_rel, min_history,
                                    extra=1.0 / np.maximum(now, 1.0), context=context.get("shared"))
            before["shared"] = shared
            out = ok & ((obs < lo) | (obs > hi)) & moved & ((obs < med) == (obs < own))
        # the expectation is kept wherever history suffices (charts draw it), `scored` says
        # where the volume was enough to flag
        known = _enough(refs if rest is None else shared, min_history)
        expected[:, idx] = np.where(known, med, np.nan)
        lower[:, idx] = np.where(known, lo, np.nan)
        upper[:, idx] = np.where(known, hi, np.nan)
        flagged[:, idx] = out
        scored[:, idx] = ok
        gone = out if exclude is None else out | exclude[:, idx]
        training[:, idx] = np.where(gone, np.nan, obs)  # an incident never trains later buckets
        filled[:, idx] = np.where(gone, med, obs)
    return Scores(values, expected, lower, upper, flagged, scored)


def _stack(arr: np.ndarray, idx: np.ndarray, lag: int, n_ref: int) -> np.ndarray:
    """(n_ref, series, len(idx)): the values 1..n_ref periods before `idx` (nan before 0)."""
    return np.stack([arr[:, idx - k * lag] if idx[0] - k * lag >= 0
                     else np.full((arr.shape[0], len(idx)), np.nan) for k in range(1, n_ref + 1)])


def _band(refs: np.ndarray, sens: np.ndarray, min_exp: np.ndarray, min_rel: np.ndarray,
          min_history: int, extra: np.ndarray | float = 0.0, context: np.ndarray | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Expectation, normal range and scoreability of a block from its reference points.

    The range is built on the square-root scale, where count noise is about equally wide
    at every volume: upward it is wider than downward, as count noise is (a quiet hour that
    expects 12 events sees 25 by chance far more often than 0). It also covers the error
    of the median itself (n points: variance pi/2 / n of one point's) and `extra` (a
    relative variance of the expectation, e.g. of the share scaling). `context` (same layout)
    holds the reference points of the buckets before, pooled into the noise model only.
    """
    count = np.sum(~np.isnan(refs), axis=0)
    with np.errstate(all="ignore"), _quiet():
        med = np.nan_to_num(np.nanmedian(refs, axis=0))
        mad = np.nanmedian(np.abs(refs - med), axis=0)
        mu = np.maximum(med, 1.0)
        # the MAD of six points is itself noisy: it counts as much as the pooled model
        if context is None:
            pooled = _noise_var(refs, med)
        else:  # the noise model is pooled with the buckets just before (their own medians)
            both = np.concatenate([context, refs], axis=2)
            both_med = np.nan_to_num(np.nanmedian(both, axis=0))
            pooled = _noise_var(both, both_med)[:, context.shape[2]:]
        var = np.maximum(pooled, ((1.4826 * mad) ** 2 + pooled) / 2)
        var = var * (1 + np.pi / 2 / np.maximum(count, 1)) + extra * mu ** 2
        root, half = np.sqrt(med + 0.375), sens * np.sqrt(var) / (2 * np.sqrt(mu + 0.375))
        hi = np.maximum((root + half) ** 2 - 0.375, med * (1 + min_rel))
        lo = np.minimum(np.maximum(root - half, 0.0) ** 2 - 0.375, med * (1 - min_rel))
    ok = _enough(refs, min_history) & (med >= min_exp)
    return med, np.maximum(lo, 0.0), hi, ok


def _enough(refs: np.ndarray, min_history: int) -> np.ndarray:
    return np.sum(~np.isnan(refs), axis=0) >= min_history


def _level_ratios(filled: np.ndarray, start: int, lag: int, n_ref: int) -> np.ndarray:
    """(n_ref, series, 1): level of the latest period over the level of reference period k.

    Each reference period (a week for hour-of-week and weekday) is rescaled to the latest
    one, so growth and a busy or quiet week do not pass for anomalies: the median then
    compares the shape of the week, and the level follows the data with one period's lag.
    A period at less than half or more than twice the latest level (a young product's first
    weeks, a partly counted week) is from another phase of the product: scaled up, its noise
    and its different shape would pass for the normal range, so it is left out.
    """
    totals = []
    for k in range(1, n_ref + 1):
        lo = start - k * lag
        totals.append(filled[:, lo:lo + lag].sum(axis=1) if lo >= 0 else np.full(filled.shape[0], np.nan))
    totals_arr = np.array(totals)
    with np.errstate(all="ignore"):
        ratio = totals_arr[0] / totals_arr
    comparable = np.isfinite(ratio) & (ratio >= 1 / MAX_LEVEL_RATIO) & (ratio <= MAX_LEVEL_RATIO)
    return np.where(comparable, ratio, np.nan)[:, :, None]


def _trend(filled: np.ndarray, start: int, lag: int) -> np.ndarray:
    """(series, 1): one period of the level's latest change, carried forward.

    The references are scaled to the latest period, each bucket keeping its place in it
    (last Monday 09:00); the bucket scored is one period later. A young product grows by
    half from one week to the next, so without this every hour would look like a spike. The
    change between the last two periods is carried forward linearly (as the daily model
    does), clipped to -50%..+50% so one odd week cannot run away.
    """
    if start < 2 * lag:
        return np.ones((filled.shape[0], 1))
    latest = filled[:, start - lag:start].sum(axis=1)
    before = filled[:, start - 2 * lag:start - lag].sum(axis=1)
    with np.errstate(all="ignore"):
        growth = np.where((latest > 0) & (before > 0), 1 - before / latest, 0.0)
    return 1 + np.clip(np.nan_to_num(growth), -0.5, 0.5)[:, None]


def _noise_var(refs: np.ndarray, med: np.ndarray) -> np.ndarray:
    """Variance of one bucket around `med`: k * (mu + c2 * mu**2), pooled over all buckets of
    the block (six reference points per hour cannot measure it on their own).

    c2: a busy or a quiet week lifts or lowers every hour alike (measured at the median).
    k >= 1: events come in bursts (one session logs dozens of perf_timing events at once),
    rare and large, so the tail is wider than the median says; k is measured at the 90th
    percentile of the residuals in units of that model. For normal residuals the median of
    d**2 is 0.455 var and the 90th percentile 2.706 var, with d measured against a median
    that includes the point itself (hence the n / (n - 1)). Never below Poisson.
    """
    with np.errstate(all="ignore"), _quiet():
        mu = np.where(med >= 5, med, np.nan)[None, :, :]
        n = np.sum(~np.isnan(refs), axis=0, keepdims=True)
        d2 = (refs - med) ** 2 * n / np.maximum(n - 1, 1)
        s = refs.shape[1]

        def pooled(x: np.ndarray, q: float = 0.5) -> np.ndarray:
            flat = (x * np.ones_like(refs)).transpose(1, 0, 2).reshape(s, -1)
            return np.nanquantile(flat, q, axis=1)

        c2 = np.nan_to_num(np.maximum((pooled(d2 / mu ** 2) - 0.455 * pooled(1 / mu)) / 0.455, 0.0))
        k = np.maximum(pooled(d2 / (mu * (1 + c2[None, :, None] * mu)), 0.9) / 2.706, 1.0)
    c2, k = c2[:, None], np.nan_to_num(k, nan=1.0)[:, None]
    m = np.maximum(med, 1.0)
    return k * m * (1 + c2 * m)


class _quiet:
    """Silence numpy's 'All-NaN slice' warning (an unscorable bucket is a normal case)."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


@dataclass(frozen=True)
class Incident:
    """Consecutive flagged buckets of one series on one day, in one direction: one finding."""

    series: str
    day: date
    start: datetime       # first bucket (UTC); a day bucket starts at 00:00
    hours: int            # 24 for a day bucket
    direction: str        # drop | spike
    observed: float
    expected: float
    lower: float
    upper: float
    worst_start: datetime
    worst_observed: float
    worst_expected: float
    continued: bool = False  # the series was already flagged in the last bucket of the day before
    detail: str = ""         # e.g. the flagged hours inside a flagged day

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.hours)

    def during(self, other: Incident) -> bool:
        """Some hour of both (whatever the direction)."""
        return self.start < other.end and other.start < self.end

    def overlaps(self, other: Incident) -> bool:
        return self.direction == other.direction and self.during(other)

    def when(self) -> str:
        if self.hours >= 24 and self.start.hour == 0:
            return f"{self.day} (whole day)"
        last = self.end - timedelta(minutes=1)
        return f"{self.day} {self.start:%H:%M}-{last:%H:%M} UTC"


def rolling(values: np.ndarray, window: int) -> np.ndarray:
    """Each bucket's sum with the `window - 1` buckets before it (nan until a full window, and
    wherever the window covers an unknown bucket): windows of hours are scored like hours."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if window == 1:
        return values.copy()
    zero = np.zeros((values.shape[0], 1))
    total = np.cumsum(np.hstack([zero, np.nan_to_num(values)]), axis=1)
    unknown = np.cumsum(np.hstack([zero, np.isnan(values).astype(float)]), axis=1)
    out = np.full(values.shape, np.nan)
    out[:, window - 1:] = np.where(unknown[:, window:] - unknown[:, :-window] > 0, np.nan,
                                   total[:, window:] - total[:, :-window])
    return out


@dataclass(frozen=True)
class Window:
    """The scores of one window length (hours) of one series: its bucket t sums t-length+1..t."""

    length: int
    scores: Scores
    row: int


def marks(windows: list[Window], columns: range) -> np.ndarray:
    """Per bucket of `columns`' series: -1 drop, +1 spike, 0 normal, from every flagged window
    that lies inside `columns` (a window never reaches into the day before; its day's hours
    alone are judged). A window is trimmed at both ends to the hours that moved at least half
    as far as the window did (a 6-hour window around a 3-hour drop names the 3 hours). The
    union of overlapping flagged windows is one incident; where a drop and a spike window
    overlap, the shorter window (the single hour first) decides."""
    wins = sorted(windows, key=lambda w: w.length)
    hour = wins[0].scores
    assert wins[0].length == 1, "the single hours come first"
    with np.errstate(all="ignore"):
        change = hour.observed[wins[0].row] / hour.expected[wins[0].row] - 1
    out = np.zeros(hour.observed.shape[1], dtype=int)
    for w in wins:
        s, r = w.scores, w.row
        for t in range(columns.start + w.length - 1, columns.stop):
            if not s.flagged[r, t]:
                continue
            lo = t - w.length + 1
            sign = -1 if s.observed[r, t] < s.expected[r, t] else 1
            moved = np.flatnonzero(np.nan_to_num(change[lo:t + 1] * sign)
                                   >= abs(s.observed[r, t] / s.expected[r, t] - 1) / 2)
            if w.length > 1 and len(moved) == 0:
                continue
            span = slice(lo + moved[0], lo + moved[-1] + 1) if w.length > 1 else slice(lo, t + 1)
            out[span] = np.where(out[span] == 0, sign, out[span])
    return out


def strongest_window(windows: list[Window], first: int, last: int) -> tuple[int, int] | None:
    """(length, end bucket) of the flagged multi-hour window inside first..last furthest off in
    noise units (the alert names it: a 3-hour drop that no single hour shows)."""
    best, where = 0.0, None
    for w in windows:
        if w.length == 1:
            continue
        s, r = w.scores, w.row
        for t in range(first + w.length - 1, last + 1):
            if s.flagged[r, t]:
                z = abs(s.observed[r, t] - s.expected[r, t]) / np.sqrt(max(s.expected[r, t], 1.0))
                if z > best:
                    best, where = z, (w.length, t)
    return where


def incidents(series: str, day: date, bucket_starts: list[datetime], hours_per_bucket: int,
              s: Scores, row: int, columns: range, mark: np.ndarray | None = None) -> list[Incident]:
    """Roll the flagged buckets of `row` in `columns` (the day's buckets) up into incidents.

    `mark` (from `marks`: -1 drop, +1 spike per bucket) replaces the row's own flags, e.g. by
    the union of the flagged windows of several lengths."""
    if mark is None:
        mark = np.where(s.flagged[row], np.where(s.observed[row] < s.expected[row], -1, 1), 0)
    found: list[Incident] = []
    run: list[int] = []

    def close() -> None:
        if not run:
            return
        obs, exp = s.observed[row, run], s.expected[row, run]
        z = np.abs(obs - exp) / np.sqrt(np.maximum(exp, 1.0))
        worst = run[int(np.argmax(np.nan_to_num(z, nan=-1.0)))]
        found.append(Incident(
            series, day, bucket_starts[run[0]], hours_per_bucket * len(run),
            "drop" if mark[run[0]] < 0 else "spike", float(obs.sum()), float(np.nansum(exp)),
            float(s.lower[row, run].sum()), float(s.upper[row, run].sum()),
            bucket_starts[worst], float(s.observed[row, worst]), float(s.expected[row, worst])))
        run.clear()

    for c in columns:
        if mark[c]:
            if run and mark[run[-1]] != mark[c]:
                close()
            run.append(c)
        else:
            close()
    close()
    return found


def family_sensitivity(sensitivity: float, series: int) -> float:
    """The sensitivity at which the most extreme of `series` series scored together is as
    unlikely to be flagged by chance as one series at `sensitivity` (Bonferroni on the normal
    tail: 5 for one series, 5.43 for 10, 5.82 for 100).

    The default sensitivity is calibrated on one series per event (its hours, windows and
    day): at most one false alert per 30 days. An event's dimension values are `series` more
    such series, each scored every day: at the same sensitivity they would have `series`
    times the false alerts of the total (with two dimensions, ten of them)."""
    if series <= 1:
        return sensitivity
    tail = 0.5 * math.erfc(sensitivity / math.sqrt(2))
    if tail <= 0.0:  # beyond double precision: already far out
        return sensitivity
    return -NormalDist().inv_cdf(tail / series)


def settings(cfgs: list[EventVolumeConfig], series: list[int] | None = None) -> dict[str, np.ndarray]:
    """Per-series settings arrays for `score`; `series[i]`: how many series share the family of
    series i (its event's dimension values), see `family_sensitivity`."""
    family = series or [1] * len(cfgs)
    return {"sensitivity": np.array([family_sensitivity(c.sensitivity, m)
                                     for c, m in zip(cfgs, family, strict=True)]),
            "min_expected": np.array([c.min_expected_events for c in cfgs]),
            "min_relative_change": np.array([c.min_relative_change for c in cfgs])}
