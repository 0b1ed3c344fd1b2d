"""`pulse monitor backtest`: replay the hourly and dimension volume monitor over past days.

Every day is judged exactly as `pulse monitor --date D` judges it (monitor.volume.evaluate_day
on the same replay window), so the report shows what the monitor would have said. Nothing
is stored in pulse_meta; the report is a folder: index.html (a table of flags and one chart
per event), one PNG per event and flags.csv.
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from monitor import hourly
from monitor.config import VolumeMonitorConfig
from monitor.volume import DayVerdict, SeriesScore, describe, evaluate_day, read_counts
from warehouse.clients import SqlClient


@dataclass
class Backtest:
    start: date
    end: date
    verdicts: list[DayVerdict] = field(default_factory=list)
    charts: dict[str, Path] = field(default_factory=dict)
    index: Path | None = None

    @property
    def incidents(self) -> list[hourly.Incident]:
        return [i for v in self.verdicts for i in v.incidents]


def replay(client: SqlClient, start: date, end: date, cfg: VolumeMonitorConfig) -> Backtest:
    """The verdict of every day start..end (one read of the counts for the whole window)."""
    if end < start:
        raise ValueError(f"backtest: --to {end} is before --from {start}")
    counts = read_counts(client, start - timedelta(days=hourly.lookback_days(cfg)), end)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return Backtest(start, end, [evaluate_day(counts, d, cfg) for d in days])


def _joined(bt: Backtest, key: str, hourly_view: bool) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """One series' buckets over the whole backtest, at bucket centres (so lines join up)."""
    parts = [s for v in bt.verdicts for s in v.series if s.key == key and s.hourly == hourly_view]
    if not parts:
        return None
    half = timedelta(minutes=30) if hourly_view else timedelta(hours=12)
    centres = np.array([t + half for s in parts for t in s.bucket_starts])
    names = ("observed", "expected", "lower", "upper", "flagged", "scored")
    cols = {name: np.concatenate([getattr(s, name) for s in parts]) for name in names}
    return centres, cols


def _panel(ax, bt: Backtest, key: str, seasonality: str, hourly_view: bool) -> None:
    """Normal range as one continuous band (grey where the volume is too low to flag),
    expectation and observed series as lines, flagged buckets as red dots, incidents shaded."""
    joined = _joined(bt, key, hourly_view)
    if joined is None:
        return
    x, c = joined
    scored = c["scored"].astype(bool)
    known = ~np.isnan(c["expected"])
    lower, upper = np.nan_to_num(c["lower"]), np.nan_to_num(c["upper"])
    for where, colour, label in ((known & scored, "tab:blue", "normal range"),
                                 (known & ~scored, "0.75", "not scored (too few events)")):
        if where.any():
            ax.fill_between(x, lower, upper, where=where, interpolate=True, color=colour,
                            alpha=0.35, linewidth=0, label=label)
    ax.plot(x, np.where(known, c["expected"], np.nan), color="tab:blue", linewidth=0.9,
            label="expected")
    ax.plot(x, c["observed"], color="black", linewidth=0.8, label="observed",
            marker=None if hourly_view else "o", markersize=2.5)
    flagged = c["flagged"].astype(bool)
    ax.scatter(x[flagged], c["observed"][flagged], color="red", s=16, zorder=3, label="flagged")
    for inc in bt.incidents:  # the day panel shades whole-day incidents only
        if inc.series == key and (hourly_view or inc.hours >= 24):
            ax.axvspan(inc.start, max(inc.end, inc.start + timedelta(hours=3)), color="red",
                       alpha=0.15, linewidth=0)
    unit = "events per hour" if hourly_view else "events per day"
    ax.set_title(f"{key} ({seasonality}; {unit})", fontsize=9, loc="left")
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", linewidth=0.3, alpha=0.5)
    ax.set_xlim(x[0] - (x[1] - x[0] if len(x) > 1 else timedelta(hours=1)), x[-1])
    # the band of a bursty or barely scored series can reach far above anything observed:
    # the axis follows the data, the band runs off the top
    top = np.nanmax(np.concatenate([c["observed"], c["expected"], [1.0]]))
    ax.set_ylim(0, 1.3 * top)


def write_report(bt: Backtest, out_dir: Path, cfg: VolumeMonitorConfig) -> Path:
    """index.html + one PNG per event + flags.csv under `out_dir`; returns the index path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    totals: dict[str, SeriesScore] = {}
    for v in bt.verdicts:
        for s in v.series:
            if s.dimension == "all":
                totals.setdefault(s.event, s)
    for event, total in sorted(totals.items()):
        views = [(event, True), (event, False)] if total.seasonality == "hour-of-week" else [(event, False)]
        dim_keys = sorted({i.series for i in bt.incidents
                           if i.series.startswith(event + "[")})[:3]
        views += [(k, total.seasonality == "hour-of-week") for k in dim_keys]
        fig, axes = plt.subplots(len(views), 1, figsize=(13, 3.0 * len(views)), squeeze=False)
        for ax, (key, hourly_view) in zip(axes, views, strict=True):
            _panel(ax[0], bt, key, total.seasonality, hourly_view)
        axes[0][0].legend(fontsize=7, loc="upper left", ncol=5, framealpha=0.9)
        fig.autofmt_xdate()
        fig.tight_layout()
        path = out_dir / f"{event}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        bt.charts[event] = path
    rows = sorted(bt.incidents, key=lambda i: (i.start, i.series))
    with open(out_dir / "flags.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["day", "start_utc", "hours", "series", "direction", "observed", "expected",
                         "lower", "upper", "message"])
        for i in rows:
            writer.writerow([i.day, f"{i.start:%Y-%m-%d %H:%M}", i.hours, i.series, i.direction,
                             f"{i.observed:.0f}", f"{i.expected:.0f}", f"{i.lower:.0f}",
                             f"{i.upper:.0f}", describe(i)])
    bt.index = out_dir / "index.html"
    bt.index.write_text(_html(bt, rows, cfg), encoding="utf-8")
    return bt.index


def _html(bt: Backtest, rows: list[hourly.Incident], cfg: VolumeMonitorConfig) -> str:
    esc = html.escape
    table = "\n".join(
        f"<tr class='{i.direction}'><td>{i.day}</td><td>{esc(i.when().split(' ', 1)[1])}</td>"
        f"<td>{esc(i.series)}</td><td>{i.direction}</td><td>{i.observed:,.0f}</td>"
        f"<td>{i.expected:,.0f}</td><td>{i.lower:,.0f}..{i.upper:,.0f}</td>"
        f"<td>{esc(i.detail)}</td></tr>" for i in rows)
    charts = "\n".join(f"<h2 id='{esc(e)}'>{esc(e)}</h2><img src='{esc(p.name)}' alt='{esc(e)}'>"
                       for e, p in sorted(bt.charts.items()))
    days = len(bt.verdicts)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>pulse monitor backtest {bt.start}..{bt.end}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}} tr.drop td{{background:#fde8e8}}
tr.spike td{{background:#fff4de}} img{{max-width:100%}}</style></head><body>
<h1>Volume monitor backtest {bt.start} .. {bt.end}</h1>
<p>{days} day(s) replayed as <code>pulse monitor --date D</code> would judge them;
{len(rows)} incident(s). Settings: history {cfg.history_weeks} weeks, at least
{cfg.min_history} reference points, default seasonality {cfg.defaults.seasonality},
sensitivity {cfg.defaults.sensitivity}, minimum {cfg.defaults.min_expected_events:g} expected
events per bucket, dimensions {', '.join(cfg.dimensions)} (top {cfg.top_n} values + other).
Charts: black line = observed, blue line = expected, blue band = normal range (grey where
the expectation is below the minimum volume, so nothing is flagged), red dots = flagged
buckets, red spans = incidents (one finding each).</p>
<h2>Flags</h2>
<table><tr><th>day</th><th>when (UTC)</th><th>series</th><th>direction</th><th>observed</th>
<th>expected</th><th>normal range</th><th>detail</th></tr>
{table}
</table>
{charts}
</body></html>
"""
