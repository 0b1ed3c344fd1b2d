"""Hourly and dimension volume scoring: robust seasonal baselines, rolled up into incidents.

Pure numpy, no warehouse: `monitor.volume` reads the counts and turns incidents into
results, `monitor.backtest` replays it over history, bench/monitors.py scores generated series.

Why median/MAD over the same hour of the same weekday: product traffic repeats weekly
(Monday 09:00 looks like last Monday 09:00), the median ignores an odd week, and the MAD
measures how much this very hour varies. The scale is never below Poisson noise (sqrt of the
expectation), so a constant series or a quiet hour does not make a zero-width range.

Replay: the verdict of day D comes from scoring the `lookback` days before D in order, so
buckets flagged earlier are left out of the references of later ones (an incident does not
train the baseline). The replay window is fixed relative to D, so `pulse monitor --date D`
and a backtest give D the same verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from monitor.config import EventVolumeConfig, VolumeMonitorConfig

NONE_REFERENCE_DAYS = 14  # seasonality none: the previous 14 days


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
    expected: np.ndarray   # nan where not scored
    lower: np.ndarray
    upper: np.ndarray
    flagged: np.ndarray    # bool
    scored: np.ndarray     # bool: enough history and enough volume


def score(values: np.ndarray, lag: int, n_ref: int, min_history: int,
          sensitivity: np.ndarray | float, min_expected: np.ndarray | float,
          min_relative_change: np.ndarray | float, first: int = 0) -> Scores:
    """Score every bucket from `first` on against its `n_ref` references `lag` buckets apart.

    `values` is (series, buckets); the per-series settings broadcast as (series,) arrays.
    Buckets are processed in blocks of `lag`, so every reference of a block lies in an
    earlier block whose flags are already known and excluded.
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
    for start in range(max(first, lag * min_history), n, lag):
        idx = np.arange(start, min(start + lag, n))
        refs = np.stack([training[:, idx - k * lag] if idx[0] - k * lag >= 0
                         else np.full((n_series, len(idx)), np.nan) for k in range(1, n_ref + 1)])
        if lag > 1:
            refs = refs * _level_ratios(filled, start, lag, n_ref)
        count = np.sum(~np.isnan(refs), axis=0)
        enough = count >= min_history
        if not enough.any():
            continue
        with np.errstate(all="ignore"), _quiet():
            med = np.nanmedian(refs, axis=0)
            mad = np.nanmedian(np.abs(refs - med), axis=0)
        sigma = np.maximum(1.4826 * mad, np.sqrt(np.maximum(med, 1.0) * (1 + _dispersion(refs, med) * med)))
        width = np.maximum(sens * sigma, min_rel * med)
        ok = enough & (med >= min_exp)
        obs = values[:, idx]
        out = ok & (np.abs(obs - med) > width)
        expected[:, idx] = np.where(ok, med, np.nan)
        lower[:, idx] = np.where(ok, np.maximum(med - width, 0.0), np.nan)
        upper[:, idx] = np.where(ok, med + width, np.nan)
        flagged[:, idx] = out
        scored[:, idx] = ok
        training[:, idx] = np.where(out, np.nan, obs)  # an incident never trains later buckets
        filled[:, idx] = np.where(out, med, obs)
    return Scores(values, expected, lower, upper, flagged, scored)


def _level_ratios(filled: np.ndarray, start: int, lag: int, n_ref: int) -> np.ndarray:
    """(n_ref, series, 1): level of the latest period over the level of reference period k.

    Each reference period (a week for hour-of-week and weekday) is rescaled to the latest
    one, so growth and a busy or quiet week do not pass for anomalies: the median then
    compares the shape of the week, and the level follows the data with one period's lag.
    """
    totals = []
    for k in range(1, n_ref + 1):
        lo = start - k * lag
        totals.append(filled[:, lo:lo + lag].sum(axis=1) if lo >= 0 else np.full(filled.shape[0], np.nan))
    totals_arr = np.array(totals)
    with np.errstate(all="ignore"):
        ratio = totals_arr[0] / totals_arr
    ratio = np.where(np.isfinite(ratio) & (totals_arr[0] > 0), ratio, 1.0)
    return ratio[:, :, None]


def _dispersion(refs: np.ndarray, med: np.ndarray) -> np.ndarray:
    """Per series: c2 of the noise model var = mu + c2 * mu**2, pooled over the block's buckets.

    Product volumes vary more than Poisson from week to week (a busy week lifts every hour),
    and six reference points per hour cannot measure that on their own; pooled over all
    hours of the block they can. For normal residuals median(d**2) = 0.455 var, so
    c2 = (median(d**2 / mu**2) - 0.455 median(1 / mu)) / 0.455, with d measured against a
    median that includes the point itself (hence the n / (n - 1)).
    """
    with np.errstate(all="ignore"), _quiet():
        mu = np.where(med >= 5, med, np.nan)[None, :, :]
        n = np.sum(~np.isnan(refs), axis=0, keepdims=True)
        d2 = (refs - med) ** 2 * n / np.maximum(n - 1, 1) / mu ** 2
        s = refs.shape[1]
        rel = np.nanmedian(d2.transpose(1, 0, 2).reshape(s, -1), axis=1)
        inv = np.nanmedian((1 / mu * np.ones_like(refs)).transpose(1, 0, 2).reshape(s, -1), axis=1)
        c2 = np.maximum((rel - 0.455 * inv) / 0.455, 0.0)
    return np.nan_to_num(c2)[:, None]


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

    def overlaps(self, other: Incident) -> bool:
        return self.direction == other.direction and self.start < other.end and other.start < self.end

    def when(self) -> str:
        if self.hours >= 24 and self.start.hour == 0:
            return f"{self.day} (whole day)"
        last = self.end - timedelta(minutes=1)
        return f"{self.day} {self.start:%H:%M}-{last:%H:%M} UTC"


def incidents(series: str, day: date, bucket_starts: list[datetime], hours_per_bucket: int,
              s: Scores, row: int, columns: range) -> list[Incident]:
    """Roll the flagged buckets of `row` in `columns` (the day's buckets) up into incidents."""
    found: list[Incident] = []
    run: list[int] = []

    def close() -> None:
        if not run:
            return
        obs, exp = s.observed[row, run], s.expected[row, run]
        worst = run[int(np.argmax(np.abs(obs - exp) / np.sqrt(np.maximum(exp, 1.0))))]
        found.append(Incident(
            series, day, bucket_starts[run[0]], hours_per_bucket * len(run),
            "drop" if obs.sum() < exp.sum() else "spike", float(obs.sum()), float(exp.sum()),
            float(s.lower[row, run].sum()), float(s.upper[row, run].sum()),
            bucket_starts[worst], float(s.observed[row, worst]), float(s.expected[row, worst])))
        run.clear()

    for c in columns:
        if s.flagged[row, c]:
            direction = s.observed[row, c] < s.expected[row, c]
            if run and (s.observed[row, run[-1]] < s.expected[row, run[-1]]) != direction:
                close()
            run.append(c)
        else:
            close()
    close()
    return found


def settings(cfgs: list[EventVolumeConfig]) -> dict[str, np.ndarray]:
    """Per-series settings arrays for `score`."""
    return {"sensitivity": np.array([c.sensitivity for c in cfgs]),
            "min_expected": np.array([c.min_expected_events for c in cfgs]),
            "min_relative_change": np.array([c.min_relative_change for c in cfgs])}
