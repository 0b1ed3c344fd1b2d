"""The PNG of `pulse experiment report`: the lift of every treatment with the interval the
experiment is read with, and below, per treatment metric and variant, the read-out as of every
day (rpt_experiment_daily_results): the relative lift, the sequential band, the fixed-horizon
band and zero. The daily panels show why a fixed interval must not be read every day: it
excludes 0 on days the always-valid band does not.
"""

from __future__ import annotations

import math
from pathlib import Path

from pipeline.commands.experiment import interval, significance_p

PANEL_HEIGHT = 2.5  # inches per row of daily panels
LEGEND_HEIGHT = 0.6  # inches for the legend above the daily panels


def _percent(value) -> float:
    return math.nan if value is None else 100 * float(value)


def daily_series(rows: list[dict], daily: list[dict] | None) -> dict[tuple[str, str], list[dict]]:
    """(metric, treatment variant) -> its daily rows by date, in the order of the results table."""
    if not daily:
        return {}
    order = {(r["metric_key"], r["variant"]): i for i, r in enumerate(rows)}
    series: dict[tuple[str, str], list[dict]] = {}
    for d in daily:
        key = (d["metric_key"], d["variant"])
        if not d["is_control"] and key in order:
            series.setdefault(key, []).append(d)
    for days in series.values():
        days.sort(key=lambda d: d["as_of_date"])
    return {k: series[k] for k in sorted(series, key=order.__getitem__)
            if any(d["rel_lift"] is not None for d in series[k])}


def y_limits(days: list[dict]) -> tuple[float, float]:
    """The lift, 0 and the sequential band of the later half of the days (early bands, over a
    handful of users, are so wide they would flatten everything else: they leave the panel)."""
    later = days[len(days) // 2:]
    values = [0.0] + [_percent(d["rel_lift"]) for d in days] \
        + [_percent(d[c]) for d in later for c in ("sequential_ci_low", "sequential_ci_high")]
    values = [v for v in values if math.isfinite(v)]
    low, high = min(values), max(values)
    pad = 0.08 * (high - low) or 1.0
    return low - pad, high + pad


def _lift_panel(ax, experiment_key: str, rows: list[dict]) -> None:
    treated = [r for r in rows if not r["is_control"] and r["rel_lift"] is not None]
    for i, r in enumerate(reversed(treated)):
        lift = 100 * float(r["rel_lift"])
        lo, hi = (100 * b for b in interval(r))
        p = significance_p(r)
        color = "tab:gray" if p is None or p >= 0.05 else ("tab:green" if lift > 0 else "tab:red")
        ax.errorbar(lift, i, xerr=[[lift - lo], [hi - lift]], fmt="o", color=color, capsize=4)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(treated)))
    ax.set_yticklabels([f"{r['metric_key']} · {r['variant']}" for r in reversed(treated)])
    ax.set_xlabel("relative lift vs control, % (95% sequential CI; colour: sequential p < 0.05)"
                  if rows[0]["interval_method"] == "sequential" else
                  "relative lift vs control, % (95% CI; colour: adjusted p < 0.05)")
    title = experiment_key if rows[0]["is_trustworthy"] else f"{experiment_key} (UNTRUSTWORTHY)"
    ax.set_title(title)


def _daily_panel(ax, key: tuple[str, str], days: list[dict], role: str) -> None:
    import matplotlib.dates as mdates

    x = [d["as_of_date"] for d in days]

    def column(name: str) -> list[float]:
        return [_percent(d[name]) for d in days]

    ax.fill_between(x, column("sequential_ci_low"), column("sequential_ci_high"), color="tab:blue",
                    alpha=0.18, linewidth=0, label="sequential 95% (read any day)")
    ax.plot(x, column("rel_lift_ci_low"), color="tab:orange", linestyle="--", linewidth=1,
            label="fixed-horizon 95% (one look)")
    ax.plot(x, column("rel_lift_ci_high"), color="tab:orange", linestyle="--", linewidth=1)
    ax.plot(x, column("rel_lift"), color="tab:blue", linewidth=1.6, marker="o", markersize=2.5,
            label="relative lift")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylim(*y_limits(days))
    ax.set_xlim(x[0], x[-1])
    ax.set_title(f"{key[0]} · {key[1]}" + (" (guardrail)" if role == "guardrail" else ""), fontsize=9)
    ax.set_ylabel("lift, %", fontsize=8)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", linewidth=0.3, alpha=0.6)


def plot_report(experiment_key: str, rows: list[dict], daily: list[dict] | None, out: Path) -> Path:
    """The lift panel, then (without the daily mart, nothing) a legend and the daily panels two
    to a row, in a subfigure of their own so the lift panel's long labels do not indent them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    treated = [r for r in rows if not r["is_control"] and r["rel_lift"] is not None]
    roles = {(r["metric_key"], r["variant"]): r["metric_role"] for r in rows}
    series = daily_series(rows, daily)
    columns = 2 if len(series) > 1 else 1
    panel_rows = math.ceil(len(series) / columns)
    lift_height = 1.2 + 0.45 * max(len(treated), 1)
    daily_height = LEGEND_HEIGHT + PANEL_HEIGHT * panel_rows
    fig = plt.figure(figsize=(10, lift_height + daily_height), layout="constrained")
    if series:
        top, bottom = fig.subfigures(2, 1, height_ratios=[lift_height, daily_height])
    else:
        top, bottom = fig, None
    _lift_panel(top.subplots(), experiment_key, rows)
    if bottom is not None:
        axes = bottom.subplots(panel_rows, columns, squeeze=False).ravel()
        for ax, (key, days) in zip(axes, series.items(), strict=False):
            _daily_panel(ax, key, days, roles[key])
        for ax in axes[len(series):]:
            ax.axis("off")
        bottom.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncol=3,
                      frameon=False, fontsize=8,
                      title="by day, as of the end of the day (rpt_experiment_daily_results)",
                      title_fontsize=8)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", dpi=110)
    plt.close(fig)
    return out
