"""The slice and quantile sections of `pulse experiment report`, and the daily read-out its
plot draws.

Like the results table, the numbers are read as finished from the marts
(rpt_experiment_slice_results, rpt_experiment_quantile_results, rpt_experiment_daily_results)
and only formatted here. A mart that is not built (a warehouse built before it existed) leaves
its section out instead of failing the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.locks import read_connection
from warehouse.target import Target

SLICE_COLUMNS = ("dimension", "slice_value", "metric_key", "metric_role", "variant", "is_control",
                 "users", "rel_lift", "rel_lift_ci_low", "rel_lift_ci_high", "p_value_adjusted",
                 "correction", "slice_users", "has_srm")
QUANTILE_COLUMNS = ("metric_key", "quantile_level", "variant", "is_control", "users",
                    "quantile_value", "quantile_ci_low", "quantile_ci_high", "rel_lift",
                    "rel_lift_ci_low", "rel_lift_ci_high", "metric_direction",
                    "non_inferiority_margin", "guardrail_status", "guardrail_breached")
DAILY_COLUMNS = ("metric_key", "variant", "as_of_date", "is_control", "users", "rel_lift",
                 "rel_lift_ci_low", "rel_lift_ci_high", "sequential_ci_low", "sequential_ci_high")
POOLED_SLICES = ("(other)", "(missing)")  # listed after the named slices
ROLE_ORDER = {"primary": 0, "secondary": 1}
MAX_SLICE_WIDTH = 24
FAMILY = {"metrics": "metrics x variants per slice", "slices": "slices x variants per metric",
          "metrics_and_slices": "all metrics x slices x variants"}


@dataclass(frozen=True)
class Sections:
    """The experiment's rows of the three marts; None for a mart that is not built."""

    slices: list[dict] | None
    quantiles: list[dict] | None
    daily: list[dict] | None


def _rows(client, table: str, columns: tuple[str, ...], experiment_key: str) -> list[dict] | None:
    if not client.table_exists("marts", table):
        return None
    sql = f"select {', '.join(columns)} from marts.{table} where experiment_key = %s"
    return [dict(zip(columns, r, strict=True)) for r in client.fetch(sql, [experiment_key])]


def fetch_sections(target: Target, experiment_key: str) -> Sections:
    with read_connection(target) as client:
        return Sections(
            slices=_rows(client, "rpt_experiment_slice_results", SLICE_COLUMNS, experiment_key),
            quantiles=_rows(client, "rpt_experiment_quantile_results", QUANTILE_COLUMNS,
                            experiment_key),
            daily=_rows(client, "rpt_experiment_daily_results", DAILY_COLUMNS, experiment_key))


def _pct(value, fmt: str = "+.1%") -> str:
    return "-" if value is None else format(float(value), fmt)


def _ci(low, high, fmt: str = "+.1%") -> str:
    return "" if low is None or high is None else f"[{format(float(low), fmt)}, {format(float(high), fmt)}]"


def _fit(text: str, width: int) -> str:
    """Cut a value to the column width (a long utm_campaign must not shift the columns)."""
    return text if len(text) <= width else text[:width - 1] + "~"


def slice_lines(rows: list[dict]) -> list[str]:
    """Per slice dimension a compact table: one line per slice x primary metric (secondary
    ones when there is none; all are in the mart) x treatment variant (users treatment /
    control, lift, 95% CI, BH-adjusted p, SRM flag); slices by size, (other), (missing) last."""
    if not rows:
        return []
    control_users = {(r["dimension"], r["slice_value"], r["metric_key"]): r["users"]
                     for r in rows if r["is_control"]}
    roles = {r["metric_role"] for r in rows}
    shown = ("primary",) if "primary" in roles else ("secondary",)
    treated = [r for r in rows if not r["is_control"] and r["metric_role"] in shown]
    width = min(max([len("slice"), *(len(r["slice_value"]) for r in treated)]), MAX_SLICE_WIDTH)
    metric_width = max([len("metric"), *(len(r["metric_key"]) for r in treated)])
    variant_width = max([len("variant"), *(len(r["variant"]) for r in treated)])
    ci_width = max([19, *(len(_ci(r["rel_lift_ci_low"], r["rel_lift_ci_high"])) for r in treated)])
    lines = ["", "slices: a slice is a hint to test, not a result to ship; never read one flagged SRM"]
    for dimension in sorted({r["dimension"] for r in treated}):
        in_dimension = sorted(
            (r for r in treated if r["dimension"] == dimension),
            key=lambda r: (r["slice_value"] in POOLED_SLICES, -int(r["slice_users"] or 0),
                           r["slice_value"], ROLE_ORDER[r["metric_role"]], r["metric_key"],
                           r["variant"]))
        family = FAMILY.get(in_dimension[0]["correction"], in_dimension[0]["correction"])
        lines += ["", f"slices by {dimension} ({' and '.join(shown)} metrics; p adj: Benjamini-Hochberg "
                      f"over {family})",
                  f"  {'slice':<{width}} {'metric':<{metric_width}} {'variant':<{variant_width}} "
                  f"{'users t/c':>13} {'rel lift':>9} {'95% CI':>{ci_width}} {'p adj':>8}  SRM"]
        for r in in_dimension:
            users = f"{r['users']}/{control_users.get((dimension, r['slice_value'], r['metric_key']), 0)}"
            p_adjusted = "-" if r["p_value_adjusted"] is None else f"{float(r['p_value_adjusted']):.4f}"
            lines.append(
                f"  {_fit(r['slice_value'], width):<{width}} {r['metric_key']:<{metric_width}} "
                f"{r['variant']:<{variant_width}} {users:>13} {_pct(r['rel_lift']):>9} "
                f"{_ci(r['rel_lift_ci_low'], r['rel_lift_ci_high']):>{ci_width}} {p_adjusted:>8}"
                f"  {'SRM' if r['has_srm'] else ''}".rstrip())
    return lines


def _value(value) -> str:
    return "-" if value is None else format(float(value), ".6g")


def quantile_label(row: dict) -> str:
    """p90 for quantile_level 0.9."""
    return f"p{float(row['quantile_level']) * 100:g}"


def quantile_lines(rows: list[dict]) -> list[str]:
    """One line per quantile metric x level x variant, control first: the quantile with its
    distribution-free 95% interval and, for treatments, its relative lift with the
    conservative interval."""
    if not rows:
        return []
    ordered = sorted(rows, key=lambda r: (r["metric_key"], float(r["quantile_level"]),
                                          not r["is_control"], r["variant"]))
    metric_width = max([len("metric"), *(len(r["metric_key"]) for r in rows)])
    variant_width = max([len("variant"), *(len(r["variant"]) + 4 * r["is_control"] for r in rows)])
    lines = ["", "quantiles (order statistics; 95% distribution-free intervals, the lift's conservative)",
             f"  {'metric':<{metric_width}} {'q':<5} {'variant':<{variant_width}} {'users':>7} "
             f"{'value':>11} {'95% CI':>23} {'rel lift':>9} {'lift CI':>19}"]
    for r in ordered:
        level = quantile_label(r)
        variant = r["variant"] + (" (c)" if r["is_control"] else "")
        interval = ("" if r["quantile_ci_low"] is None or r["quantile_ci_high"] is None else
                    f"[{_value(r['quantile_ci_low'])}, {_value(r['quantile_ci_high'])}]")
        lift = "" if r["is_control"] else _pct(r["rel_lift"])
        lines.append(
            f"  {r['metric_key']:<{metric_width}} {level:<5} {variant:<{variant_width}} {r['users']:>7} "
            f"{_value(r['quantile_value']):>11} {interval:>23} {lift:>9} "
            f"{_ci(r['rel_lift_ci_low'], r['rel_lift_ci_high']):>19}".rstrip())
    return lines
